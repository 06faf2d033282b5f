using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class HueGuardTests
{
    private const string Attacker = Frames.AttackerIp;

    private static byte[] Api(string method, string path, string src = Attacker, string body = "") =>
        Http(src, 80, Request(method, path, body: body));

    [Test]
    public void Four_distinct_tokens_within_ten_seconds_are_allowed_the_fifth_raises_brute_force()
    {
        var h = new ChainHarness("hue-guard");
        long start = h.NowMicros;
        for (int i = 0; i < 4; i++)
        {
            h.NowMicros = start + (i * 2 * Second);
            Assert.That(h.Run(Api("GET", $"/api/token{i}/lights")), Is.EqualTo(Verdict.Forward));
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        h.NowMicros = start + (10 * Second) - 1;
        h.Run(Api("GET", "/api/token4/config"));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.BruteForce));
        Assert.That(alert.Info, Does.Contain("Hue API").And.Contain("5 distinct API tokens").And.Contain(Attacker));
        Assert.That(alert.Count, Is.EqualTo(1));
    }

    [Test]
    public void A_token_seen_again_is_not_distinct_and_old_tokens_leave_the_window()
    {
        var h = new ChainHarness("hue-guard(tokens: 3, window: 10s)");
        long start = h.NowMicros;
        h.Run(Api("GET", "/api/a/lights"));
        h.NowMicros = start + Second;
        h.Run(Api("GET", "/api/b/lights"));
        for (int i = 0; i < 20; i++)
        {
            h.Run(Api("GET", "/api/b/lights"));
        }

        Assert.That(h.Sink.Alerts, Is.Empty, "two distinct tokens, however many requests");
        h.NowMicros = start + (10 * Second);
        h.Run(Api("GET", "/api/c/lights"));
        Assert.That(h.Sink.Alerts, Is.Empty, "token a was used exactly one window ago: outside");
        h.Run(Api("GET", "/api/a/lights"));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "b, c and a again within the window");
    }

    [Test]
    public void Five_token_creation_requests_within_ten_seconds_raise_brute_force()
    {
        var h = new ChainHarness("hue-guard");
        long start = h.NowMicros;
        for (int i = 0; i < 4; i++)
        {
            h.NowMicros = start + (i * Second);
            h.Run(Api("POST", "/api", body: "{\"devicetype\":\"app#x\"}"));
        }

        h.NowMicros = start + (10 * Second);
        h.Run(Api("POST", "/api/", body: "{\"devicetype\":\"app#x\"}"));
        Assert.That(h.Sink.Alerts, Is.Empty, "the first left the window");
        h.Run(Api("POST", "//api", body: "{}"));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Info, Does.Contain("Hue API").And.Contain("requests for a new API token"));
    }

    [Test]
    public void Brute_force_is_reported_once_per_source_per_window()
    {
        var h = new ChainHarness("hue-guard");
        for (int i = 0; i < 200; i++)
        {
            h.NowMicros += 10_000;
            h.Run(Api("GET", $"/api/guess{i}/lights"));
            h.Run(Api("GET", $"/api/guess{i}/lights", src: "203.0.113.99"));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts.Select(a => a.Info), Has.Some.Contain("203.0.113.99"));
    }

    [Test]
    public void Restricted_bridge_drops_non_get_api_requests_with_an_alert_and_passes_reads()
    {
        var h = new ChainHarness("hue-guard(restrict: true)");
        Assert.That(h.Run(Api("GET", "/api/tok/lights")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Api("PUT", "/api/tok/lights/1/state", body: "{\"on\":true}")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Api("DELETE", "/API/tok/config/whitelist/x")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Api("POST", "/%61pi")), Is.EqualTo(Verdict.Drop), "percent-encoding does not hide the API");
        Assert.That(h.Run(Api("PUT", "http://192.0.2.10/api/tok/lights/1/state")), Is.EqualTo(Verdict.Drop), "absolute-form target");
        Assert.That(h.Run(Api("PUT", "/apix/tok")), Is.EqualTo(Verdict.Forward), "not the API");
        Assert.That(h.Run(Api("POST", "/description.xml")), Is.EqualTo(Verdict.Forward));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo("control-attempt"));
        Assert.That(alert.Info, Does.Contain("PUT").And.Contain("restricted to GET"));
    }

    [Test]
    public void Without_restrict_writes_pass_and_the_restrict_alert_can_be_renamed()
    {
        var open = new ChainHarness("hue-guard");
        Assert.That(open.Run(Api("PUT", "/api/tok/lights/1/state")), Is.EqualTo(Verdict.Forward));
        Assert.That(open.Sink.Alerts, Is.Empty);

        var renamed = new ChainHarness("hue-guard(restrict: true, restrict-alert: hue-write)");
        renamed.Run(Api("PUT", "/api/tok/lights/1/state"));
        Assert.That(renamed.Sink.Alerts.Single().Type, Is.EqualTo("hue-write"));
    }

    [Test]
    public void Other_ports_directions_and_non_http_payloads_pass()
    {
        var h = new ChainHarness("hue-guard(restrict: true, tokens: 2)");
        Assert.That(h.Run(Http(Attacker, 8080, Request("PUT", "/api/t/lights"))), Is.EqualTo(Verdict.Forward));
        var fromDevice = Frames.Tcp(Frames.DeviceIp, 80, Attacker, 80, TcpFlagsBuilder.PshAck, Request("PUT", "/api/t/x"), Frames.DeviceMac, Frames.GatewayMac);
        Assert.That(h.Run(fromDevice, Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Http(Attacker, 80, "\u0016\u0003\u0001 binary")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Http(Attacker, 80, "PUT /api/t/x HTTP/1.1")), Is.EqualTo(Verdict.Forward), "request line not complete in the segment");
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Random_hostile_paths_never_crash()
    {
        var h = new ChainHarness("hue-guard(restrict: true)");
        var random = new Random(9);
        const string alphabet = "/%aApPiI0f?#.";
        for (int i = 0; i < 5000; i++)
        {
            var path = new string(Enumerable.Range(0, random.Next(1, 20)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            Assert.DoesNotThrow(() => h.Run(Api(i % 2 == 0 ? "GET" : "PUT", "/" + path)));
        }
    }

    [Test]
    public void Reports_every_argument_error_with_its_place()
    {
        var errors = ChainHarness.Errors("hue-guard(port: 0, tokens: 1,\n  window: 10 s, restrict-alert: Bad_Name, alert-window: 1s)");
        var messages = errors.Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contain("'port' must be between 1 and 65535"));
        Assert.That(messages, Has.Some.Contain("'tokens' must be between 2 and 1000"));
        Assert.That(messages, Has.Some.Contain("alert type name"));
        Assert.That(messages, Has.Some.Contain("'restrict-alert' needs 'restrict: true'"));
        Assert.That(messages, Has.Some.Contain("'alert-window' (of the restrict alerts) needs 'restrict: true'"));
        Assert.That(errors.Single(e => e.Message.Contains("alert type name", StringComparison.Ordinal)).Line, Is.EqualTo(2));
    }
}
