namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// HTTP login attacks and benign logins (<see cref="LoginScenarios"/>) against every pack whose device has a web
/// login, replayed through the real <c>kalki-edge replay --json</c>.
/// </summary>
public class LoginCorpusTests
{
    [Test]
    public void Hydra_guessing_basic_passwords_on_keep_alive_connections_is_max_login_attempts()
    {
        AssertEveryLoginDevice(LoginScenarios.HydraBasic, "max-login-attempts", absent: "default-login");
    }

    [Test]
    public void Medusa_guessing_basic_passwords_a_connection_each_is_max_login_attempts()
    {
        AssertEveryLoginDevice(LoginScenarios.MedusaBasic, "max-login-attempts", absent: "default-login");
    }

    [TestCase("MD5")]
    [TestCase("SHA-256")]
    public void Hydra_guessing_digest_passwords_as_admin_is_max_login_attempts_not_default_login(string algorithm)
    {
        AssertEveryLoginDevice(LoginScenarios.HydraDigest(algorithm), "max-login-attempts", absent: "default-login");
    }

    [TestCase("admin:admin")]
    [TestCase("admin:")]
    public void A_single_basic_login_with_default_credentials_is_default_login(string credentials)
    {
        AssertEveryLoginDevice(LoginScenarios.DefaultBasic(credentials), "default-login", absent: "max-login-attempts");
    }

    [TestCase("admin", "MD5", "auth")]
    [TestCase("admin", "SHA-256", "auth")]
    [TestCase("admin", "MD5", null)]
    [TestCase("", "MD5-sess", "auth")]
    public void A_single_digest_login_with_a_default_pair_is_default_login(string password, string algorithm, string? qop)
    {
        AssertEveryLoginDevice(LoginScenarios.DefaultDigest(password, algorithm, qop), "default-login", absent: "max-login-attempts");
    }

    [Test]
    public void A_digest_login_as_admin_with_a_wrong_password_is_one_attempt_and_changes_nothing()
    {
        var r = CorpusCatalogue.Result(LoginScenarios.WrongDigestPassword);
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    [Test]
    public void Half_an_hour_of_a_browser_and_a_digest_recorder_logged_in_raises_nothing()
    {
        var r = CorpusCatalogue.Result(LoginScenarios.BrowserAndRecorder);
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    [Test]
    public void Hydra_from_the_address_of_a_logged_in_browser_during_benign_load_is_still_caught()
    {
        AssertEveryLoginDevice(LoginScenarios.HydraFromBrowser, "max-login-attempts", absent: "default-login");
    }

    private static void AssertEveryLoginDevice(string scenario, string alert, string absent)
    {
        var r = CorpusCatalogue.Result(scenario);
        foreach (var type in LoginScenarios.Types)
        {
            var name = LoginScenarios.Device(type).Host.Name;
            var alerts = CorpusReplay.Alerts(r, name);
            Assert.That(alerts, Does.Contain(alert), $"{type}: {r.Stdout}");
            Assert.That(alerts, Does.Not.Contain(absent), $"{type}: {r.Stdout}");
            Assert.That(CorpusReplay.Transitions(r, name).FirstOrDefault(), Is.EqualTo("Normal->Suspicious"), $"{type}: {r.Stdout}");
        }
    }
}
