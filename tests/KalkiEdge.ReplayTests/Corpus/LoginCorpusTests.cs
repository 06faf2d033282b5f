using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// HTTP login attacks and benign logins (<see cref="LoginCorpus"/>) against every pack whose device has a web
/// login (the D-Link camera and the generic device), replayed through the real <c>kalki-edge replay --json</c>.
/// Each device's one account has a changed password, so every guess and every default try is answered 401.
/// </summary>
public class LoginCorpusTests
{
    private const string Account = "admin:Vx9-kq2!m";

    private static readonly string[] LoginTypes = ["dlink-camera", "generic-iot"];

    private static readonly SimHost Attacker = new("attacker", "02:00:00:00:00:fe", "203.0.113.81");
    private static readonly SimHost Browser = new("browser", "02:00:00:00:00:fe", "198.51.100.41");
    private static readonly SimHost Recorder = new("recorder", "02:00:00:00:00:fe", "198.51.100.42");

    [Test]
    public void Hydra_guessing_basic_passwords_on_keep_alive_connections_is_max_login_attempts()
    {
        var r = Replay((c, at) => c.HydraBasic(Attacker, "admin", LoginCorpus.RockYou, tasks: 4, at));
        AssertEveryLoginDevice(r, "max-login-attempts", absent: "default-login");
    }

    [Test]
    public void Medusa_guessing_basic_passwords_a_connection_each_is_max_login_attempts()
    {
        var r = Replay((c, at) => c.MedusaBasic(Attacker, "admin", LoginCorpus.RockYou, at));
        AssertEveryLoginDevice(r, "max-login-attempts", absent: "default-login");
    }

    [TestCase("MD5")]
    [TestCase("SHA-256")]
    public void Hydra_guessing_digest_passwords_as_admin_is_max_login_attempts_not_default_login(string algorithm)
    {
        var r = Replay((c, at) => c.HydraDigest(Attacker, "admin", LoginCorpus.RockYou, algorithm, at));
        AssertEveryLoginDevice(r, "max-login-attempts", absent: "default-login");
    }

    [TestCase("admin:admin")]
    [TestCase("admin:")]
    public void A_single_basic_login_with_default_credentials_is_default_login(string credentials)
    {
        var r = Replay((c, at) => c.BasicLogin(Attacker, credentials, at));
        AssertEveryLoginDevice(r, "default-login", absent: "max-login-attempts");
    }

    [TestCase("admin", "MD5", "auth")]
    [TestCase("admin", "SHA-256", "auth")]
    [TestCase("admin", "MD5", null)]
    [TestCase("", "MD5-sess", "auth")]
    public void A_single_digest_login_with_a_default_pair_is_default_login(string password, string algorithm, string? qop)
    {
        var r = Replay((c, at) => c.DigestLogin(Attacker, "admin", password, algorithm, qop, at));
        AssertEveryLoginDevice(r, "default-login", absent: "max-login-attempts");
    }

    [Test]
    public void A_digest_login_as_admin_with_a_wrong_password_is_one_attempt_and_changes_nothing()
    {
        var r = Replay((c, at) => c.DigestLogin(Attacker, "admin", "admin123", "MD5", "auth", at));
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    [Test]
    public void Half_an_hour_of_a_browser_and_a_digest_recorder_logged_in_raises_nothing()
    {
        var r = Replay((c, at) => Math.Max(c.BrowserSession(Browser, 30, at), c.RecorderPolling(Recorder, 30, at + 1_000)), maxCaptureBytes: 8 << 20);
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    [Test]
    public void Hydra_from_the_address_of_a_logged_in_browser_during_benign_load_is_still_caught()
    {
        var r = Replay((c, at) =>
        {
            long end = Math.Max(c.BrowserSession(Browser, 5, at), c.RecorderPolling(Recorder, 5, at + 1_000));
            c.HydraBasic(Browser, "admin", LoginCorpus.RockYou, tasks: 2, at + (2 * 60 * LoginCorpus.Second));
            return end;
        });
        AssertEveryLoginDevice(r, "max-login-attempts", absent: "default-login");
    }

    private static ScenarioDevice Device(string type) => PackScenarios.Device(type, Array.IndexOf(LoginTypes, type));

    private static CliResult Replay(Func<LoginCorpus, long, long> scenario, long maxCaptureBytes = 4 << 20)
    {
        var devices = LoginTypes.Select(Device).ToList();
        var timeline = new Timeline();
        foreach (var d in devices)
        {
            scenario(new LoginCorpus(timeline, d.Host, Account, realm: d.Type, seed: 200 + devices.IndexOf(d)), PackScenarios.Start);
        }

        return CorpusReplay.Run(devices, timeline, maxCaptureBytes);
    }

    private static void AssertEveryLoginDevice(CliResult r, string alert, string absent)
    {
        foreach (var type in LoginTypes)
        {
            var name = Device(type).Host.Name;
            var alerts = CorpusReplay.Alerts(r, name);
            Assert.That(alerts, Does.Contain(alert), $"{type}: {r.Stdout}");
            Assert.That(alerts, Does.Not.Contain(absent), $"{type}: {r.Stdout}");
            Assert.That(CorpusReplay.Transitions(r, name).FirstOrDefault(), Is.EqualTo("Normal->Suspicious"), $"{type}: {r.Stdout}");
        }
    }
}
