using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KalkiEdge.LiveTests.Support;

/// <summary>
/// A device maker's MUD publishing for a live test, made fresh in <paramref name="dir"/>: a CA, the HTTPS server's
/// certificate for <paramref name="serverIp"/> issued by it, and a signer certificate it issued that signs each MUD
/// file (a detached CMS signature beside it, RFC 8520 section 13). The appliance trusts the CA for both.
/// </summary>
public sealed class MudPublisher
{
    private readonly X509Certificate2 _signer;

    public MudPublisher(string dir, string serverIp)
    {
        Files = Directory.CreateDirectory(Path.Combine(dir, "mud-files")).FullName;
        var from = DateTimeOffset.UtcNow.AddHours(-1);
        var until = DateTimeOffset.UtcNow.AddDays(1);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=KalkiEdge live test MUD CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(from, until);
        CaFile = Path.Combine(dir, "mud-ca.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());

        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Parse(serverIp));
        var (server, serverKey) = Issue(ca, $"CN={serverIp}", from, until, san.Build(), new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth
        CertFile = Path.Combine(dir, "mud-server.pem");
        KeyFile = Path.Combine(dir, "mud-server.key");
        File.WriteAllText(CertFile, server.ExportCertificatePem());
        File.WriteAllText(KeyFile, serverKey);
        server.Dispose();
        (_signer, _) = Issue(ca, "CN=KalkiEdge live test device maker", from, until, null, null);
    }

    /// <summary>The MUD server's address on its own link (TEST-NET-3; the appliance's end is 203.0.113.1).</summary>
    public const string ServerIp = "203.0.113.2";

    /// <summary>
    /// A maker publishing from a new <see cref="MudPublisher"/> in <paramref name="dir"/>, served over HTTPS by
    /// testbed/servers/mud.py in the testbed's <c>mud</c> host, reached by the appliance over a link of its own.
    /// </summary>
    public static (MudPublisher Maker, TestServer Server) Serve(Testbed testbed, string dir)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        testbed.AddServiceHost("mud", "mud0", "203.0.113.1", ServerIp);
        var maker = new MudPublisher(dir, ServerIp);
        return (maker, testbed.StartServer("mud", "mud.py", dir, "--bind", ServerIp, "--port", "0", "--dir", maker.Files, "--cert", maker.CertFile, "--key", maker.KeyFile));
    }

    /// <summary>The folder the MUD server serves.</summary>
    public string Files { get; }

    public string CaFile { get; }

    public string CertFile { get; }

    public string KeyFile { get; }

    /// <summary>Publishes <paramref name="json"/> as <paramref name="name"/> (.json) with its signature (.p7s).</summary>
    public void Publish(string name, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        File.WriteAllBytes(Path.Combine(Files, name + ".json"), body);
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        cms.ComputeSignature(new CmsSigner(_signer) { IncludeOption = X509IncludeOption.EndCertOnly });
        File.WriteAllBytes(Path.Combine(Files, name + ".p7s"), cms.Encode());
    }

    private static (X509Certificate2 Cert, string KeyPem) Issue(X509Certificate2 ca, string subject, DateTimeOffset from, DateTimeOffset until, X509Extension? san, Oid? usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        if (usage is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        }

        using var issued = request.Create(ca, from, until, RandomNumberGenerator.GetBytes(16));
        return (issued.CopyWithPrivateKey(key), key.ExportPkcs8PrivateKeyPem());
    }
}
