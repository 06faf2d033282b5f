using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KalkiEdge.DataPlane.Tls;

/// <summary>
/// How a collector's or broker's TLS certificate is judged (the fleet broker, remote syslog, device brokers): with a
/// site CA file, the name must match and the chain must end at that CA (not at the system's roots); without one, the
/// system's trust store decides.
/// </summary>
public sealed class SiteTrust
{
    private readonly X509Certificate2Collection? _ca;

    public SiteTrust(string? caFile)
    {
        if (caFile is not null)
        {
            _ca = [];
            _ca.ImportFromPemFile(caFile);
            if (_ca.Count == 0)
            {
                throw new System.Security.Cryptography.CryptographicException($"no certificate in the CA file '{caFile}'");
            }
        }
    }

    /// <summary>Null when the certificate is accepted, else why not (for the operator: which check failed).</summary>
    public string? Refusal(X509Certificate? certificate, SslPolicyErrors errors, string host)
    {
        if (Accepts(certificate, errors))
        {
            return null;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "it presented no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"its certificate is not issued for {host}";
        }

        return _ca is null ? "its certificate is not trusted by the system's trust store" : "its certificate is not signed by the site's CA (wrong CA file, or a broker that is not the site's)";
    }

    public bool Accepts(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (_ca is null || certificate is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
