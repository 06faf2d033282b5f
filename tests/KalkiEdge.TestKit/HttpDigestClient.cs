using System.Security.Cryptography;
using System.Text;

namespace KalkiEdge.TestKit;

/// <summary>
/// An HTTP Digest client written from RFC 7616 (and RFC 2069 for the qop-less form), independent of the
/// firmware's verifier: it answers a challenge the way curl, browsers and hydra do, so tests and generated
/// captures carry real responses. Checked against the RFC's own examples in the unit tests.
/// </summary>
public sealed record HttpDigestClient(string User, string Password, string Realm, string Nonce, string Algorithm = "MD5", string? Qop = "auth", bool UserHash = false)
{
    /// <summary>The Authorization header (without the trailing CRLF) for request <paramref name="nc"/> of this nonce.</summary>
    public string Header(string method, string uri, int nc, string cnonce)
    {
        string ncText = nc.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        string ha1 = H($"{User}:{Realm}:{Password}");
        if (Algorithm.EndsWith("-sess", StringComparison.OrdinalIgnoreCase))
        {
            ha1 = H($"{ha1}:{Nonce}:{cnonce}");
        }

        string ha2 = H($"{method}:{uri}");
        string response = Qop is null ? H($"{ha1}:{Nonce}:{ha2}") : H($"{ha1}:{Nonce}:{ncText}:{cnonce}:{Qop}:{ha2}");
        string username = UserHash ? H($"{User}:{Realm}") : User;
        var header = new StringBuilder($"Authorization: Digest username=\"{username}\", realm=\"{Realm}\", uri=\"{uri}\", algorithm={Algorithm}, nonce=\"{Nonce}\"");
        if (Qop is not null)
        {
            header.Append($", nc={ncText}, cnonce=\"{cnonce}\", qop={Qop}");
        }

        header.Append($", response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
        if (UserHash)
        {
            header.Append(", userhash=true");
        }

        return header.ToString();
    }

    private string H(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
#pragma warning disable CA5351 // the protocol's hash, computed to produce test traffic
        var hash = Algorithm.StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase) ? SHA256.HashData(bytes) : MD5.HashData(bytes);
#pragma warning restore CA5351
        return Convert.ToHexStringLower(hash);
    }
}
