using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class HttpAuthGuardTests
{
    private const string Attacker = Frames.AttackerIp;

    private static byte[] Login(string credentials, string src = Attacker, ushort port = 80) =>
        Http(src, port, Request("GET", "/", Basic(credentials)));

    [Test]
    public void Basic_login_with_built_in_default_credentials_raises_default_login_without_revealing_the_password()
    {
        var h = new ChainHarness("http-auth-guard");
        Assert.That(h.Run(Login("root:xc3511")), Is.EqualTo(Verdict.Forward), "block defaults to false");
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.DefaultLogin));
        Assert.That(alert.Info, Does.Contain("user 'root'").And.Contain("Basic").And.Contain(Attacker));
        Assert.That(alert.Info, Does.Not.Contain("xc3511"));
    }

    [TestCase("admin:admin", true)]
    [TestCase("admin:", true)]
    [TestCase("admin:Admin", false)]
    [TestCase("admin:admin ", false)]
    [TestCase("alice:admin", false)]
    public void Configured_defaults_replace_the_built_in_list(string credentials, bool isDefault)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\", \"admin:\"])");
        h.Run(Login(credentials));
        Assert.That(h.Sink.OfType(AlertTypes.DefaultLogin).Any(), Is.EqualTo(isDefault));
        h.Run(Login("root:xc3511"));
        Assert.That(h.Sink.OfType(AlertTypes.DefaultLogin).Count(), Is.EqualTo(isDefault ? 1 : 0), "root:xc3511 is not in this list");
    }

    [Test]
    public void Digest_logins_are_checked_by_user_name_only()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"])");
        h.Run(Http(Attacker, 80, Request("GET", "/", "Authorization: Digest realm=\"cam\", username=\"alice\", nonce=\"x\", response=\"0\"\r\n")));
        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Http(Attacker, 80, Request("GET", "/", "authorization: digest realm=\"a,b\", USERNAME=\"admin\", uri=\"/\"\r\n")));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.DefaultLogin));
        Assert.That(alert.Info, Does.Contain("Digest").And.Contain("only the user name"));
    }

    [Test]
    public void Block_drops_default_credential_requests_and_passes_others()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], block: true)");
        Assert.That(h.Run(Login("admin:admin")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Login("admin:admin")), Is.EqualTo(Verdict.Drop), "every default login is dropped, not only the one that alerted");
        Assert.That(h.Run(Login("admin:S3cret!")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Http(Attacker, 80, Request("GET", "/index.html"))), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("dropped"));
    }

    [Test]
    public void Default_logins_are_aggregated_once_per_source_per_window()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], max-logins: 1000, alert-window: 1min)");
        long start = h.NowMicros;
        for (int i = 0; i < 30; i++)
        {
            h.NowMicros = start + (i * Second);
            h.Run(Login("admin:admin"));
        }

        h.Run(Login("admin:admin", src: "203.0.113.9"));
        Assert.That(h.Sink.OfType(AlertTypes.DefaultLogin).Count(), Is.EqualTo(2), "one for each source");
        h.NowMicros = start + (60 * Second);
        h.Run(Login("admin:admin"));
        var alerts = h.Sink.OfType(AlertTypes.DefaultLogin).ToList();
        Assert.That(alerts, Has.Count.EqualTo(3));
        Assert.That(alerts[2].Count, Is.EqualTo(30), "29 suppressed + this one");
    }

    [Test]
    public void Default_logins_are_reported_within_the_default_alert_window_of_100ms()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"])");
        long start = h.NowMicros;
        h.Run(Login("admin:admin"));
        h.NowMicros = start + 50_000;
        h.Run(Login("admin:admin"));
        h.NowMicros = start + 99_999;
        h.Run(Login("admin:admin"));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
        h.NowMicros = start + 100_000;
        h.Run(Login("admin:admin"));
        Assert.That(h.Sink.Alerts.Select(a => a.Count), Is.EqualTo(new[] { 1, 3 }));
        h.NowMicros = start + 500_000;
        h.Run(Login("admin:admin"));
        Assert.That(h.Sink.Alerts.Select(a => a.Count), Is.EqualTo(new[] { 1, 3, 1 }), "a login 0.4 s later is reported at once");
    }

    [Test]
    public void Five_logins_within_a_minute_are_allowed_the_sixth_raises_max_login_attempts()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 5, window: 1min)");
        long start = h.NowMicros;
        for (int i = 0; i < 5; i++)
        {
            h.NowMicros = start + (i * 10 * Second);
            h.Run(Login($"user{i}:guess"));
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        h.NowMicros = start + (60 * Second) - 1;
        h.Run(Login("user5:guess"));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.MaxLoginAttempts));
        Assert.That(alert.Count, Is.EqualTo(1));
        Assert.That(alert.Info, Does.Contain("more than 5 HTTP logins within 1min").And.Not.Contain("guess"));
    }

    [Test]
    public void A_login_exactly_one_window_after_the_first_is_not_counted_with_it()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 4, window: 30min)");
        long start = h.NowMicros;
        for (int i = 0; i < 4; i++)
        {
            h.NowMicros = start + (i * 60 * Second);
            h.Run(Login($"cam:guess{i}"));
        }

        h.NowMicros = start + (30 * 60 * Second);
        h.Run(Login("cam:guess4"));
        Assert.That(h.Sink.Alerts, Is.Empty, "KalKi u2: more than 4 per 30 min");
        h.NowMicros++;
        h.Run(Login("cam:guess5"));
        Assert.That(h.Sink.OfType(AlertTypes.MaxLoginAttempts).Count(), Is.EqualTo(1));
    }

    [Test]
    public void Block_drops_logins_over_the_limit_until_the_source_slows_down()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 10s, block: true)");
        Assert.That(h.Run(Login("a:1")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Login("a:2")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Login("a:3")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Login("a:4")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Login("a:5", src: "203.0.113.9")), Is.EqualTo(Verdict.Forward), "other sources are not affected");
        Assert.That(h.Run(Http(Attacker, 80, Request("GET", "/"))), Is.EqualTo(Verdict.Forward), "requests without credentials pass");
        h.NowMicros += 10 * Second;
        Assert.That(h.Run(Login("a:6")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.OfType(AlertTypes.MaxLoginAttempts).Count(), Is.EqualTo(1));
    }

    [Test]
    public void A_browser_resending_the_same_credentials_is_one_login_not_many()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 1min)");
        for (int i = 0; i < 20; i++)
        {
            Assert.That(h.Run(Login("alice:S3cret!")), Is.EqualTo(Verdict.Forward));
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Login("alice:guess1"));
        h.Run(Login("alice:S3cret!"));
        Assert.That(h.Sink.OfType(AlertTypes.MaxLoginAttempts).Count(), Is.EqualTo(1), "changed credentials are new attempts");
    }

    [Test]
    public void Block_also_drops_repeated_logins_of_a_source_over_the_limit()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 10s, block: true)");
        h.Run(Login("a:1"));
        h.Run(Login("a:2"));
        Assert.That(h.Run(Login("a:3")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Login("a:3")), Is.EqualTo(Verdict.Drop), "the same guess again");
        h.NowMicros += 10 * Second;
        Assert.That(h.Run(Login("a:3")), Is.EqualTo(Verdict.Forward), "the window has slid past the attempts");
    }

    [Test]
    public void Only_requests_toward_the_device_on_the_configured_ports_are_watched()
    {
        var h = new ChainHarness("http-auth-guard(ports: [80, 8080], defaults: [\"admin:admin\"])");
        h.Run(Login("admin:admin", port: 8443));
        var fromDevice = Frames.Tcp(Frames.DeviceIp, 40000, Attacker, 80, TcpFlagsBuilder.PshAck, Request("GET", "/", Basic("admin:admin")), Frames.DeviceMac, Frames.GatewayMac);
        h.Run(fromDevice, Direction.FromDevice);
        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Login("admin:admin", port: 8080));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [TestCase("GET / HTTP/1.1\r\nAuthorization: Basic !!!notbase64!!!\r\n\r\n", true)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Basic YWRtaW4=\r\n\r\n", true)] // "admin", no colon
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Basic\r\n\r\n", true)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Digest realm=\"x\r\n\r\n", true)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Digest username=\"\"\r\n\r\n", true)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization:\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=", false)] // line not complete in this segment
    [TestCase("GET /\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n", false)] // no HTTP version
    [TestCase("get / HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n", false)] // not a method token
    [TestCase("\0\0\0\0\r\n\r\n", false)]
    [TestCase("GET \0/ HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n", false)]
    public void Malformed_requests_never_crash_and_pass_as_documented(string payload, bool countsAsMalformedLogin)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], block: true)");
        Assert.That(h.Run(Http(Attacker, 80, payload)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.OfType(AlertTypes.DefaultLogin), Is.Empty);
        Assert.That(Element<HttpAuthGuard>(h).MalformedCredentials, Is.EqualTo(countsAsMalformedLogin ? 1 : 0));
    }

    [Test]
    public void Headers_beyond_the_head_bound_are_not_read()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], max-head-bytes: 256)");
        var padding = "X-Pad: " + new string('a', 300) + "\r\n";
        h.Run(Http(Attacker, 80, Request("GET", "/", padding + Basic("admin:admin"))));
        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Http(Attacker, 80, Request("GET", "/", Basic("admin:admin") + padding)));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "an incomplete head still yields its complete lines");
    }

    [Test]
    public void Oversized_basic_credentials_are_a_malformed_login_not_a_crash()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"])");
        h.Run(Http(Attacker, 80, Request("GET", "/", Basic("admin:" + new string('x', 1200)))));
        Assert.That(Element<HttpAuthGuard>(h).MalformedCredentials, Is.EqualTo(1));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Random_hostile_payloads_never_crash()
    {
        var h = new ChainHarness("http-auth-guard(max-logins: 3, block: true)");
        var random = new Random(2026);
        string[] prefixes = ["", "GET / HTTP/1.1\r\n", "POST /x HTTP/1.0\r\nAuthorization: Basic ", "GET / HTTP/1.1\r\nAuthorization: Digest username=\""];
        for (int i = 0; i < 5000; i++)
        {
            var tail = new byte[random.Next(0, 600)];
            random.NextBytes(tail);
            var payload = System.Text.Encoding.ASCII.GetBytes(prefixes[i % prefixes.Length]).Concat(tail).ToArray();
            var frame = Frames.Tcp(Attacker, 40000, Frames.DeviceIp, 80, TcpFlagsBuilder.PshAck, payload);
            Assert.DoesNotThrow(() => h.Run(frame));
        }

        Assert.That(Element<HttpAuthGuard>(h).MalformedCredentials, Is.GreaterThan(0));
    }

    [Test]
    public void Reports_every_argument_error_with_its_place_without_echoing_credentials()
    {
        var errors = ChainHarness.Errors("http-auth-guard(defaults: [\"admin:admin\", \"hunter2\"],\n  max-logins: 0, window: 5, ports: [http], max-head-bytes: 10, blok: true)");
        var messages = errors.Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contain("'defaults' entries are written user:password"));
        Assert.That(messages, Has.None.Contain("hunter2"));
        Assert.That(messages, Has.Some.Contain("'max-logins' must be between 1 and 1000"));
        Assert.That(messages, Has.Some.Contain("duration '5' has no unit"));
        Assert.That(messages, Has.Some.Contain("'http' is not a port"));
        Assert.That(messages, Has.Some.Contain("'max-head-bytes' must be between 256"));
        Assert.That(messages, Has.Some.Contain("unknown argument 'blok'"));
        var bad = errors.Single(e => e.Message.Contains("user:password", StringComparison.Ordinal));
        Assert.That((bad.Line, bad.Column), Is.EqualTo((1, 44)), "the first character inside the quotes");
        Assert.That(errors.Single(e => e.Message.Contains("max-logins", StringComparison.Ordinal)).Line, Is.EqualTo(2));
    }
}
