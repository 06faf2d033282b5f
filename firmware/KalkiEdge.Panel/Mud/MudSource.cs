using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace KalkiEdge.Panel.Mud;

/// <summary>
/// Where MUD files come from (site config <c>panel: mud:</c>): a local folder the operator fills (a file named as
/// the URL's last path segment, trusted because the operator put it there), or, only when <see cref="Fetch"/> is
/// on, the URL itself over HTTPS with the file's CMS signature checked against <see cref="SignerFile"/>'s
/// certificates (RFC 8520 section 13). Fetching is bounded: no redirects, <see cref="MudFile.MaxBytes"/> per body
/// and <see cref="Timeout"/> for each request.
/// </summary>
public sealed record MudSettings(string? Folder, bool Fetch, string? SignerFile, string? TlsRootFile, TimeSpan Timeout)
{
    public static readonly MudSettings Off = new(null, false, null, null, TimeSpan.FromSeconds(5));
}

/// <summary>Resolves a MUD URL into a <see cref="MudFile"/> as <see cref="MudSettings"/> allow; every refusal is a <see cref="MudException"/>.</summary>
public sealed class MudSource(MudSettings settings)
{
    public MudSettings Settings => settings;

    /// <summary>Blocking form of <see cref="ResolveAsync"/> (replay resolves in its frame loop).</summary>
    public MudFile Resolve(string url) => ResolveAsync(url).GetAwaiter().GetResult();

    /// <summary>
    /// The MUD file for <paramref name="url"/>: bounded by <see cref="MudSettings.Timeout"/> per request (the file, then
    /// its signature) and <see cref="MudFile.MaxBytes"/> per body; every refusal is a <see cref="MudException"/>.
    /// </summary>
    public async Task<MudFile> ResolveAsync(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new MudException($"MUD URL '{url}': only https URLs are MUD URLs (RFC 8520 section 8)");
        }

        if (settings.Folder is { } folder && Path.GetFileName(uri.AbsolutePath) is { Length: > 0 } name)
        {
            var local = Path.Combine(folder, name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? name : name + ".json");
            if (File.Exists(local))
            {
                return Verify(MudFile.Parse(ReadLocal(local), local), url, local);
            }
        }

        if (!settings.Fetch)
        {
            throw new MudException($"MUD URL {url}: no file for it in {settings.Folder ?? "(no mud folder configured)"} and fetching is off (panel: mud: fetch: true)");
        }

        return await FetchAsync(uri).ConfigureAwait(false);
    }

    private async Task<MudFile> FetchAsync(Uri uri)
    {
        if (settings.SignerFile is null)
        {
            throw new MudException($"MUD URL {uri}: fetching needs 'signers' (the certificates MUD files must be signed with); nothing fetched");
        }

        using var client = Client();
        var body = await Get(client, uri).ConfigureAwait(false);
        var file = MudFile.Parse(body, uri.ToString());
        var signatureUri = SignatureUri(uri, body);
        var signature = await Get(client, signatureUri).ConfigureAwait(false);
        CheckSignature(body, signature, uri);
        return Verify(file, uri.ToString(), uri.ToString());
    }

    /// <summary>RFC 8520 section 3.7 names the signature in the file (mud-signature); without it, the URL with .p7s (section 13.2).</summary>
    private static Uri SignatureUri(Uri mud, byte[] body)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        if (doc.RootElement.TryGetProperty("ietf-mud:mud", out var m) && m.TryGetProperty("mud-signature", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            if (!Uri.TryCreate(s.GetString(), UriKind.Absolute, out var given) || given.Scheme != Uri.UriSchemeHttps)
            {
                throw new MudException($"{mud}: $.ietf-mud:mud.mud-signature: '{s.GetString()}' is not an https URL");
            }

            return given;
        }

        var path = mud.AbsolutePath;
        var dot = path.LastIndexOf('.');
        var slash = path.LastIndexOf('/');
        return new UriBuilder(mud) { Path = (dot > slash ? path[..dot] : path) + ".p7s", Query = "" }.Uri;
    }

    private void CheckSignature(byte[] body, byte[] signature, Uri uri)
    {
        var signers = new X509Certificate2Collection();
        try
        {
            signers.ImportFromPemFile(settings.SignerFile!);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new MudException($"MUD signers file {settings.SignerFile}: {e.Message}");
        }

        var cms = new SignedCms(new ContentInfo(body), detached: true);
        try
        {
            cms.Decode(signature);
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException e)
        {
            throw new MudException($"{uri}: the MUD signature does not verify: {e.Message}");
        }

        foreach (var signer in cms.SignerInfos)
        {
            if (signer.Certificate is not { } cert)
            {
                continue;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(signers);
            chain.ChainPolicy.ExtraStore.AddRange(cms.Certificates);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain.Build(cert))
            {
                return;
            }
        }

        throw new MudException($"{uri}: the MUD file is signed, but not by a certificate that chains to {settings.SignerFile}");
    }

    private static async Task<byte[]> Get(HttpClient client, Uri uri)
    {
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                throw new MudException($"{uri}: redirected ({(int)response.StatusCode}) to {response.Headers.Location}: MUD fetches follow no redirects");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new MudException($"{uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > MudFile.MaxBytes)
            {
                throw new MudException($"{uri}: {response.Content.Headers.ContentLength} bytes announced, more than the {MudFile.MaxBytes} accepted");
            }

            await using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            var buffer = new byte[MudFile.MaxBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total)).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            if (total > MudFile.MaxBytes)
            {
                throw new MudException($"{uri}: the body is larger than the {MudFile.MaxBytes} bytes accepted; not read further");
            }

            return buffer[..total];
        }
        catch (HttpRequestException e)
        {
            throw new MudException($"{uri}: cannot fetch: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new MudException($"{uri}: no complete answer within the time allowed", e);
        }
    }

    private HttpClient Client()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = settings.Timeout,
            MaxResponseHeadersLength = 16,
            UseProxy = false,
            UseCookies = false,
        };
        if (settings.TlsRootFile is { } roots)
        {
            var trusted = new X509Certificate2Collection();
            try
            {
                trusted.ImportFromPemFile(roots);
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                handler.Dispose();
                throw new MudException($"MUD TLS roots file {roots}: {e.Message}");
            }

            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck },
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        return new HttpClient(handler, disposeHandler: true) { Timeout = settings.Timeout, MaxResponseContentBufferSize = MudFile.MaxBytes };
    }

    /// <summary>A file must describe the URL it was found for (RFC 8520 section 3.3), or it is someone else's policy.</summary>
    private static MudFile Verify(MudFile file, string url, string source) =>
        string.Equals(file.Url, url, StringComparison.Ordinal)
            ? file
            : throw new MudException($"{source}: $.ietf-mud:mud.mud-url: the file is for {file.Url}, not {url}");

    private static byte[] ReadLocal(string path)
    {
        try
        {
            return ReadBounded(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MudException($"{path}: cannot read the MUD file: {e.Message}");
        }
    }

    private static byte[] ReadBounded(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length > MudFile.MaxBytes)
        {
            throw new MudException($"{path}: the MUD file is {stream.Length} bytes, more than the {MudFile.MaxBytes} accepted");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
