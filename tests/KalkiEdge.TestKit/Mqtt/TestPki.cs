using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KalkiEdge.TestKit.Mqtt;

/// <summary>
/// A certificate authority made for one test: a server certificate for 127.0.0.1 and client certificates whose
/// common name is the broker user name (Mosquitto's <c>use_identity_as_username</c>). Files are PEM, in <see cref="Dir"/>.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;

    public TestPki(string dir, string name = "kalki-test-ca")
    {
        Dir = dir;
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaFile = System.IO.Path.Combine(dir, $"{name}.pem");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    public string Dir { get; }

    public string CaFile { get; }

    /// <summary>The broker's certificate for 127.0.0.1 (and localhost): (certificate file, key file).</summary>
    public (string Cert, string Key) Server() => Issue("broker", server: true);

    /// <summary>A client certificate with this common name: (certificate file, key file).</summary>
    public (string Cert, string Key) Client(string commonName) => Issue(commonName, server: false);

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
    }

    private (string Cert, string Key) Issue(string commonName, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var cert = request.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        var certFile = System.IO.Path.Combine(Dir, $"{commonName}.crt");
        var keyFile = System.IO.Path.Combine(Dir, $"{commonName}.key");
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }
}
