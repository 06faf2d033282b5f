using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.TestKit;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class HttpAuthGuardTests
{
    private const string Attacker = Frames.AttackerIp;

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

    // RFC 7616 section 3.9.1: the same request answered with MD5 and with SHA-256.
    private const string RfcMd5 = "Authorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n";
    private const string RfcSha256 = "Authorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n";

    private const string RfcNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";

    [TestCase(RfcMd5)]
    [TestCase(RfcSha256)]
    public void The_digest_examples_of_RFC_7616_are_recognised_as_the_listed_pair_and_only_it(string header)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"Mufasa:Circle of Life\"])");
        h.Run(Http(Attacker, 80, Request("GET", "/dir/index.html", header)));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.DefaultLogin));
        Assert.That(alert.Info, Does.Contain("Digest").And.Contain("user 'Mufasa'").And.Not.Contain("Circle"));

        var other = new ChainHarness("http-auth-guard(defaults: [\"Mufasa:Circle Of Life\", \"admin:admin\"])");
        other.Run(Http(Attacker, 80, Request("GET", "/dir/index.html", header)));
        Assert.That(other.Sink.Alerts, Is.Empty, "same user, another password: a login, not a default one");

        var post = new ChainHarness("http-auth-guard(defaults: [\"Mufasa:Circle of Life\"])");
        post.Run(Http(Attacker, 80, Request("POST", "/dir/index.html", header)));
        Assert.That(post.Sink.Alerts, Is.Empty, "the response covers the method: replayed on a POST it is not this pair's");
    }

    [Test]
    public void The_test_digest_client_reproduces_the_RFC_7616_examples()
    {
        // Guards the generator the corpus uses: a wrong client would prove nothing.
        var md5 = new HttpDigestClient("Mufasa", "Circle of Life", "http-auth@example.org", RfcNonce);
        var sha = md5 with { Algorithm = "SHA-256" };
        const string cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        Assert.That(md5.Header("GET", "/dir/index.html", 1, cnonce), Does.Contain("response=\"8ca523f5e9506fed4657c9700eebdbec\""));
        Assert.That(sha.Header("GET", "/dir/index.html", 1, cnonce), Does.Contain("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
    }

    [TestCase("MD5", "auth", false)]
    [TestCase("MD5", null, false)]
    [TestCase("MD5-sess", "auth", false)]
    [TestCase("SHA-256", "auth", false)]
    [TestCase("SHA-256", null, false)]
    [TestCase("SHA-256-sess", "auth", true)]
    [TestCase("MD5", "auth", true)]
    public void Digest_default_logins_are_found_by_recomputing_the_response_for_each_listed_pair(string algorithm, string? qop, bool userHash)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"root:root\", \"admin:\", \"admin:admin\"], max-logins: 100)");
        var right = new HttpDigestClient("admin", "admin", "DCS-930L", "b4fd0c2b5e3d9a17", algorithm, qop, userHash);
        var wrong = right with { Password = "admin1" };
        h.Run(Http(Attacker, 80, Request("GET", "/", wrong.Header("GET", "/", 1, "0a4f113b") + "\r\n")));
        Assert.That(h.Sink.Alerts, Is.Empty, "user admin with a wrong password is a login attempt, not a default login");
        h.Run(Http(Attacker, 80, Request("GET", "/cgi/admin.cgi?x=1", right.Header("GET", "/cgi/admin.cgi?x=1", 2, "9c1e0d7a") + "\r\n")));
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("user 'admin'"));
    }

    [TestCase("algorithm=SHA-512-256")]
    [TestCase("qop=auth-int")]
    public void Digest_logins_that_cannot_be_recomputed_count_as_logins_but_never_as_default_ones(string variant)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], max-logins: 1)");
        var header = new HttpDigestClient("admin", "admin", "cam", "n1").Header("GET", "/", 1, "c1")
            .Replace("algorithm=MD5", variant.StartsWith("algorithm", StringComparison.Ordinal) ? variant : "algorithm=MD5", StringComparison.Ordinal)
            .Replace("qop=auth", variant.StartsWith("qop", StringComparison.Ordinal) ? variant : "qop=auth", StringComparison.Ordinal);
        h.Run(Http(Attacker, 80, Request("GET", "/", header + "\r\n")));
        h.Run(Http(Attacker, 80, Request("GET", "/", header.Replace("nonce=\"n1\"", "nonce=\"n2\"", StringComparison.Ordinal) + "\r\n")));
        Assert.That(h.Sink.Alerts.Select(a => a.Type), Is.EqualTo(new[] { AlertTypes.MaxLoginAttempts }));
    }

    [Test]
    public void A_hydra_style_guess_run_on_one_keep_alive_connection_counts_every_guess()
    {
        // hydra http-get: one connection, a request per guess, each answered 401 on the same connection.
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 5, window: 1min)");
        for (int i = 0; i < 6; i++)
        {
            h.Run(Http(Attacker, 80, Request("GET", "/", Basic($"admin:guess{i}"))));
            Answer(h, 401);
        }

        Assert.That(h.Sink.Alerts.Single().Type, Is.EqualTo(AlertTypes.MaxLoginAttempts));
        Assert.That(Element<HttpAuthGuard>(h).FailedLogins, Is.EqualTo(6));
    }

    [Test]
    public void A_browser_logging_in_once_and_resending_its_accepted_credentials_is_one_attempt()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 1, window: 1min)");
        h.Run(Http(Attacker, 80, Request("GET", "/")));
        Answer(h, 401); // the challenge: no credentials, no attempt
        for (int i = 0; i < 30; i++)
        {
            h.Run(Login("alice:S3cret!", port: 80, clientPort: (ushort)(40000 + (i % 6))));
            Answer(h, 200, clientPort: (ushort)(40000 + (i % 6)));
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void A_digest_client_reusing_its_nonce_is_one_attempt_and_a_renewed_nonce_one_more()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 1min)");
        var client = new HttpDigestClient("viewer", "w4tch-0nly", "DCS-5020L", "nonce-1");
        for (int nc = 1; nc <= 20; nc++)
        {
            h.Run(Http(Attacker, 80, Request("GET", "/image.jpg", client.Header("GET", "/image.jpg", nc, $"c{nc}") + "\r\n")));
            Answer(h, 200);
        }

        client = client with { Nonce = "nonce-2" };
        for (int nc = 1; nc <= 20; nc++)
        {
            h.Run(Http(Attacker, 80, Request("GET", "/image.jpg", client.Header("GET", "/image.jpg", nc, $"d{nc}") + "\r\n")));
            Answer(h, 200);
        }

        Assert.That(h.Sink.Alerts, Is.Empty, "two logins (one per nonce) are within max-logins: 2");
    }

    [Test]
    public void Guesses_reusing_an_accepted_digest_nonce_from_the_same_address_count_by_their_401s()
    {
        // An attacker behind the same address as a logged-in viewer replays the viewer's nonce with guesses:
        // the request looks like the accepted credentials, the device's 401 tells it was not.
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 3, window: 1min)");
        var viewer = new HttpDigestClient("admin", "Str0ng!", "cam", "n-1");
        h.Run(Http(Attacker, 80, Request("GET", "/", viewer.Header("GET", "/", 1, "v1") + "\r\n")));
        Answer(h, 200);
        for (int i = 0; i < 3; i++)
        {
            var guess = viewer with { Password = $"guess{i}" };
            h.Run(Login(guess.Header("GET", "/", 2 + i, $"g{i}") + "\r\n", clientPort: 41000));
            Assert.That(h.Sink.Alerts, Is.Empty, "not counted before the answer");
            Answer(h, 401, clientPort: 41000);
        }

        Assert.That(h.Sink.Alerts.Single().Type, Is.EqualTo(AlertTypes.MaxLoginAttempts));
    }

    [Test]
    public void Guesses_pipelined_in_one_segment_are_each_counted()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], max-logins: 5, window: 1min)");
        var requests = string.Concat(Enumerable.Range(0, 6).Select(i => Request("GET", "/", Basic($"admin:p{i}"), body: i % 2 == 0 ? "" : "x=1")));
        h.Run(Http(Attacker, 80, requests + Request("GET", "/", Basic("admin:admin"))));
        Assert.That(h.Sink.Alerts.Select(a => a.Type), Is.EqualTo(new[] { AlertTypes.MaxLoginAttempts, AlertTypes.DefaultLogin }));
    }

    [Test]
    public void Digest_recomputation_and_answer_tracking_allocate_nothing_per_request()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\", \"admin:\", \"admin:1234\"], max-logins: 1000, window: 1s)");
        var guess = new HttpDigestClient("admin", "not-default", "cam", "n-1", "SHA-256");
        var request = Http(Attacker, 80, Request("GET", "/", guess.Header("GET", "/", 1, "c") + "\r\n"));
        var answer = Frames.Tcp(Frames.DeviceIp, 80, Attacker, 40000, TcpFlagsBuilder.PshAck, "HTTP/1.1 401 Unauthorized\r\n\r\n", Frames.DeviceMac, Frames.GatewayMac);
        for (int i = 0; i < 10; i++)
        {
            h.NowMicros += Second;
            h.Run(request);
            h.Run(answer, Direction.FromDevice);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            h.NowMicros += Second;
            h.Run(request);
            h.Run(answer, Direction.FromDevice);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(h.Sink.Alerts, Is.Empty);
        Assert.That(Element<HttpAuthGuard>(h).FailedLogins, Is.EqualTo(210));
    }

    [TestCase("HTTP/1.1 401 Unauthorized\r\n\r\n", 1)]
    [TestCase("HTTP/1.0 401 \r\n\r\n", 1)]
    [TestCase("HTTP/1.1 4O1 Unauthorized\r\n\r\n", 0)]
    [TestCase("HTTP/1.1 401", 0)]
    [TestCase("xHTTP/1.1 401 Unauthorized\r\n\r\n", 0)]
    [TestCase("HTTP/2 401 \r\n\r\n", 0)]
    public void Only_a_well_formed_status_line_is_read_as_an_answer(string answer, int failed)
    {
        var h = new ChainHarness("http-auth-guard(defaults: [])");
        h.Run(Login("a:b"));
        h.Run(Frames.Tcp(Frames.DeviceIp, 80, Attacker, 40000, TcpFlagsBuilder.PshAck, answer, Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
        Assert.That(Element<HttpAuthGuard>(h).FailedLogins, Is.EqualTo(failed));
    }

    private static byte[] Login(string credentials, string src = Attacker, ushort port = 80, ushort clientPort = 40000) =>
        Frames.Tcp(src, clientPort, Frames.DeviceIp, port, TcpFlagsBuilder.PshAck,
            Request("GET", "/", credentials.StartsWith("Authorization", StringComparison.Ordinal) ? credentials : Basic(credentials)));

    /// <summary>The device's answer on the connection from <paramref name="clientPort"/>.</summary>
    private static void Answer(ChainHarness h, int status, ushort clientPort = 40000) =>
        h.Run(Frames.Tcp(Frames.DeviceIp, 80, Attacker, clientPort, TcpFlagsBuilder.PshAck, $"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);

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
    public void Credentials_the_device_accepted_are_not_new_attempts_but_any_change_is()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 1min)");
        h.Run(Login("alice:S3cret!"));
        Answer(h, 200);
        for (int i = 0; i < 20; i++)
        {
            Assert.That(h.Run(Login("alice:S3cret!")), Is.EqualTo(Verdict.Forward));
            Answer(h, 200);
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Login("alice:guess1"));
        Answer(h, 401);
        h.Run(Login("alice:guess2"));
        Assert.That(h.Sink.OfType(AlertTypes.MaxLoginAttempts).Count(), Is.EqualTo(1), "changed credentials are new attempts");
    }

    [Test]
    public void Unanswered_repeats_of_unaccepted_credentials_each_count()
    {
        var h = new ChainHarness("http-auth-guard(defaults: [], max-logins: 2, window: 1min)");
        for (int i = 0; i < 3; i++)
        {
            h.Run(Login("alice:S3cret!"));
        }

        Assert.That(h.Sink.OfType(AlertTypes.MaxLoginAttempts).Count(), Is.EqualTo(1), "only an accepted login makes repeats free");
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
