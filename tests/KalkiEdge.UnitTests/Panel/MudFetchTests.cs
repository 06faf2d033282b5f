using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KalkiEdge.Panel.Mud;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>
/// Fetching MUD files from a real HTTPS server (Kestrel on loopback, a certificate of the test's own CA): the file is
/// used only when its CMS signature chains to the configured signers; redirects, oversized bodies, silence and plain
/// refusals are clear errors in bounded time. The local folder needs no network.
/// </summary>
[NonParallelizable]
public sealed class MudFetchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, Func<HttpContext, Task>> _routes = [];
    private TempDir _dir = null!;
    private WebApplication _server = null!;
    private X509Certificate2 _signer = null!;
    private X509Certificate2 _stranger = null!;
    private string _base = "";

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _dir = new TempDir("kalki-mud-");
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mud.test", tlsKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var tls = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_dir.Path, "tls-roots.pem"), tls.ExportCertificatePem());
        _signer = SelfSigned("CN=Lighting Example MUD signer");
        _stranger = SelfSigned("CN=someone else");
        File.WriteAllText(Path.Combine(_dir.Path, "signers.pem"), _signer.ExportCertificatePem());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var serverCert = X509CertificateLoader.LoadPkcs12(tls.Export(X509ContentType.Pkcs12), null);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(serverCert)));
        _server = builder.Build();
        _server.Run(c => _routes.TryGetValue(c.Request.Path.Value ?? "", out var route) ? route(c) : NotFound(c));
        await _server.StartAsync();
        _base = _server.Urls.Single();
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _signer.Dispose();
        _stranger.Dispose();
        _dir.Dispose();
    }

    [SetUp]
    public void ClearRoutes() => _routes.Clear();

    [Test]
    public void A_signed_file_is_fetched_verified_and_translated()
    {
        var url = Serve("/lamp.json", MudFileTests.AddressedExample(_base + "/lamp.json"), _signer);

        var mud = Source().Resolve(url);

        Assert.That(mud.EgressAllowList, Does.StartWith("[{proto: tcp, rport: 443, remote: 198.51.100.0/24}"));
    }

    [Test]
    public void A_file_signed_by_anyone_else_or_altered_after_signing_is_refused()
    {
        var strangers = Serve("/stranger.json", MudFileTests.AddressedExample(_base + "/stranger.json"), _stranger);
        var altered = Serve("/altered.json", MudFileTests.AddressedExample(_base + "/altered.json"), _signer, alter: true);
        _routes["/unsigned.json"] = c => Write(c, MudFileTests.AddressedExample(_base + "/unsigned.json"));

        Assert.Multiple(() =>
        {
            Assert.That(() => Source().Resolve(strangers), Throws.TypeOf<MudException>().With.Message.Contains("not by a certificate that chains to"));
            Assert.That(() => Source().Resolve(altered), Throws.TypeOf<MudException>().With.Message.Contains("the MUD signature does not verify"));
            Assert.That(() => Source().Resolve(_base + "/unsigned.json"), Throws.TypeOf<MudException>().With.Message.Contains("unsigned.p7s: the server answered 404"));
        });
    }

    [Test]
    public void Redirects_oversized_bodies_and_silent_servers_are_refused_in_bounded_time()
    {
        _routes["/moved.json"] = c =>
        {
            c.Response.StatusCode = 302;
            c.Response.Headers.Location = "https://198.51.100.7/elsewhere.json";
            return Task.CompletedTask;
        };
        _routes["/huge.json"] = async c =>
        {
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 64; i++)
            {
                await c.Response.Body.WriteAsync(chunk);
            }
        };
        _routes["/silent.json"] = c => Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
        var started = System.Diagnostics.Stopwatch.StartNew();

        Assert.Multiple(() =>
        {
            Assert.That(() => Source().Resolve(_base + "/moved.json"), Throws.TypeOf<MudException>().With.Message.Contains("follow no redirects"));
            Assert.That(() => Source().Resolve(_base + "/huge.json"), Throws.TypeOf<MudException>().With.Message.Contains("larger than the"));
            Assert.That(() => Source().Resolve(_base + "/silent.json"), Throws.TypeOf<MudException>().With.Message.Contains("no complete answer within the time allowed"));
        });
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "every refusal within its bound");
    }

    [Test]
    public void Nothing_is_fetched_unless_the_site_allows_it_and_a_local_file_must_describe_its_url()
    {
        var url = Serve("/lamp.json", MudFileTests.AddressedExample(_base + "/lamp.json"), _signer);
        var folder = Path.Combine(_dir.Path, "mud");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "bulb.json"), MudFileTests.AddressedExample("https://lighting.example.com/bulb"));
        File.WriteAllText(Path.Combine(folder, "other.json"), MudFileTests.AddressedExample("https://lighting.example.com/bulb"));
        var local = new MudSource(new MudSettings(folder, false, null, null, Timeout));

        Assert.Multiple(() =>
        {
            Assert.That(() => local.Resolve(url), Throws.TypeOf<MudException>().With.Message.Contains("fetching is off"));
            Assert.That(local.Resolve("https://lighting.example.com/bulb").Allows, Has.Count.EqualTo(3), "the folder serves without any network");
            Assert.That(() => local.Resolve("https://lighting.example.com/other"), Throws.TypeOf<MudException>().With.Message.Contains("the file is for https://lighting.example.com/bulb"));
            Assert.That(() => local.Resolve("http://lighting.example.com/bulb"), Throws.TypeOf<MudException>().With.Message.Contains("only https URLs"));
        });
    }

    private MudSource Source() => new(new MudSettings(null, true, Path.Combine(_dir.Path, "signers.pem"), Path.Combine(_dir.Path, "tls-roots.pem"), Timeout));

    /// <summary>Serves <paramref name="json"/> at <paramref name="path"/> and its detached CMS signature at the .p7s beside it.</summary>
    private string Serve(string path, string json, X509Certificate2 signer, bool alter = false)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        cms.ComputeSignature(new CmsSigner(signer));
        var signature = cms.Encode();
        var served = alter ? Encoding.UTF8.GetBytes(json.Replace("198.51.100.0/24", "0.0.0.0/0", StringComparison.Ordinal)) : body;
        _routes[path] = c => c.Response.Body.WriteAsync(served).AsTask();
        _routes[path[..^".json".Length] + ".p7s"] = c => c.Response.Body.WriteAsync(signature).AsTask();
        return _base + path;
    }

    private static Task Write(HttpContext c, string text) => c.Response.WriteAsync(text);

    private static Task NotFound(HttpContext c)
    {
        c.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        using var cert = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
