using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KalkiEdge.Management;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// The management server on a non-loopback address serves HTTPS with the configured certificate: a real TLS
/// handshake from a real HttpClient, which sees exactly that certificate; plain HTTP on the same port gets nothing.
/// The listen address is the wildcard (the only non-loopback address every machine has; plain HTTP is served on
/// loopback addresses only); the test connects through loopback.
/// </summary>
public class HttpsTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-https-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task A_non_loopback_address_serves_HTTPS_with_the_configured_certificate_and_refuses_plain_HTTP()
    {
        await using var app = await ManagementApp.StartAsync(_dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kalki-edge-test", key, HashAlgorithmName.SHA256);
        using var issued = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = Path.Combine(_dir, "tls.crt");
        var privateKey = Path.Combine(_dir, "tls.key");
        File.WriteAllText(certificate, issued.ExportCertificatePem());
        File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        var settings = new ManagementSettings("0.0.0.0:0", "/nonexistent/control.sock") { Certificate = certificate, Key = privateKey };

        await using var server = await ManagementServer.StartAsync(settings, app.Context);
        var port = new Uri(server.Address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        Assert.That(server.Address, Does.StartWith("https://"));

        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler
        {
            // The test trusts exactly the certificate it configured (a self-signed one, as first boot makes).
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                seen = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.RawData);
                return cert?.Thumbprint == issued.Thumbprint;
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };
        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(seen?.Thumbprint, Is.EqualTo(issued.Thumbprint), "the TLS handshake presented the configured certificate");
        Assert.That((await client.GetAsync("/api/devices")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "HTTPS does not replace signing in");

        using var login = await client.PostAsJsonAsync("/api/setup", new { username = ManagementApp.Admin, password = ManagementApp.Password, token = app.Context.Accounts.SetupToken });
        using var signIn = await client.PostAsJsonAsync("/api/login", new { username = ManagementApp.Admin, password = ManagementApp.Password });
        Assert.That(signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ManagementServer.SessionCookie, StringComparison.Ordinal)), Does.Contain("secure").IgnoreCase, "session cookies are Secure over HTTPS");

        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        Assert.That(async () => await plain.GetAsync("/health"), Throws.InstanceOf<HttpRequestException>().Or.InstanceOf<TaskCanceledException>(), "no plain HTTP on an HTTPS address");
    }
}
