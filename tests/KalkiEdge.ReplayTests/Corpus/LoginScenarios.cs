using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// The login corpus's scenarios (<see cref="LoginCorpus"/>) against every pack whose device has a web login
/// (the D-Link camera and the generic device). Each device's one account has a changed password, so every guess
/// and every default try is answered 401.
/// </summary>
internal static class LoginScenarios
{
    public const string Account = "admin:Vx9-kq2!m";
    public const string HydraBasic = "hydra http-get, Basic";
    public const string MedusaBasic = "medusa -M http, Basic";
    public const string WrongDigestPassword = "one Digest login as admin, wrong password";
    public const string BrowserAndRecorder = "half an hour of a browser and a recorder";
    public const string HydraFromBrowser = "hydra from a logged-in browser's address";

    public static readonly string[] Types = ["dlink-camera", "generic-iot"];

    private static readonly SimHost Attacker = new("attacker", "02:00:00:00:00:fe", "203.0.113.81");
    private static readonly SimHost Browser = new("browser", "02:00:00:00:00:fe", "198.51.100.41");
    private static readonly SimHost Recorder = new("recorder", "02:00:00:00:00:fe", "198.51.100.42");

    public static IEnumerable<CorpusScenario> All =>
    [
        Of(HydraBasic, "hydra -t 4, rockyou, keep-alive", (c, at) => c.HydraBasic(Attacker, "admin", LoginCorpus.RockYou, tasks: 4, at)),
        Of(MedusaBasic, "medusa, a connection per guess", (c, at) => c.MedusaBasic(Attacker, "admin", LoginCorpus.RockYou, at)),
        .. from algorithm in new[] { "MD5", "SHA-256" }
           select Of(HydraDigest(algorithm), $"hydra http-get, Digest {algorithm}", (c, at) => c.HydraDigest(Attacker, "admin", LoginCorpus.RockYou, algorithm, at)),
        .. from credentials in new[] { "admin:admin", "admin:" }
           select Of(DefaultBasic(credentials), "Mirai-style default try (RFC 7617)", (c, at) => c.BasicLogin(Attacker, credentials, at)),
        .. from d in new (string Password, string Algorithm, string? Qop)[] { ("admin", "MD5", "auth"), ("admin", "SHA-256", "auth"), ("admin", "MD5", null), ("", "MD5-sess", "auth") }
           select Of(DefaultDigest(d.Password, d.Algorithm, d.Qop), "default pair, Digest (RFC 7616)", (c, at) => c.DigestLogin(Attacker, "admin", d.Password, d.Algorithm, d.Qop, at)),
        Of(WrongDigestPassword, "Digest MD5, qop auth (RFC 7616)", (c, at) => c.DigestLogin(Attacker, "admin", "admin123", "MD5", "auth", at)),
        Of(BrowserAndRecorder, "Basic browser, Digest NVR", (c, at) => Math.Max(c.BrowserSession(Browser, 30, at), c.RecorderPolling(Recorder, 30, at + 1_000)), maxCaptureBytes: 8 << 20),
        Of(HydraFromBrowser, "hydra -t 2 during benign load", (c, at) =>
        {
            long end = Math.Max(c.BrowserSession(Browser, 5, at), c.RecorderPolling(Recorder, 5, at + 1_000));
            c.HydraBasic(Browser, "admin", LoginCorpus.RockYou, tasks: 2, at + (2 * 60 * LoginCorpus.Second));
            return end;
        }),
    ];

    public static string HydraDigest(string algorithm) => $"hydra http-get, Digest {algorithm}";

    public static string DefaultBasic(string credentials) => $"one Basic login {credentials}";

    public static string DefaultDigest(string password, string algorithm, string? qop) =>
        $"one Digest login admin:{password} ({algorithm}, qop {qop ?? "none"})";

    public static ScenarioDevice Device(string type) => PackScenarios.Device(type, Array.IndexOf(Types, type));

    private static CorpusScenario Of(string name, string writtenFrom, Func<LoginCorpus, long, long> scenario, long maxCaptureBytes = 4 << 20) =>
        new(name, writtenFrom, [.. Types.Select(Device)], site =>
        {
            var devices = Types.Select(Device).ToList();
            var timeline = new Timeline();
            foreach (var d in devices)
            {
                scenario(new LoginCorpus(timeline, d.Host, Account, realm: d.Type, seed: 200 + devices.IndexOf(d)), PackScenarios.Start);
            }

            return CorpusReplay.Run(devices, timeline, maxCaptureBytes, site);
        });
}
