using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Tls;

namespace KalkiEdge.Devices.Mqtt;

/// <summary>
/// TLS to a device broker, as a device's <c>monitor:</c> gives it: <c>tls</c> (default: on when <c>ca</c> is
/// given), <c>ca</c> (PEM file of the site CA the broker's certificate must chain to; without it the system's trust
/// store), <c>server-name</c> (the name the certificate must be issued for; default the broker's address) and an
/// optional client certificate (<c>certificate</c> + <c>key</c>, PEM). Every file is read when the config is
/// checked, so a missing or unreadable one is an error with its place, not a failure at run time.
/// </summary>
public sealed class MqttTls : IDisposable
{
    private static readonly string[] Settings = ["ca", "certificate", "key", "server-name"];

    private MqttTls(SiteTrust trust, string serverName, X509Certificate2? clientCertificate)
    {
        Trust = trust;
        ServerName = serverName;
        ClientCertificate = clientCertificate;
    }

    public SiteTrust Trust { get; }

    public string ServerName { get; }

    public X509Certificate2? ClientCertificate { get; }

    /// <summary>The TLS settings (null: plain MQTT); <paramref name="ok"/> false when one of them is refused (reported).</summary>
    public static MqttTls? Compile(ElementArgs args, IPAddress? broker, out bool ok)
    {
        ArgumentNullException.ThrowIfNull(args);
        ok = true;
        // Described first, for the generated monitor reference.
        _ = args.Node("ca", "PEM file of the site CA the broker's certificate must chain to (absolute path); turns TLS on");
        _ = args.Node("certificate", "PEM client certificate presented to the broker (absolute path; with 'key')");
        _ = args.Node("key", "PEM private key of the client certificate (absolute path)");
        var ca = args.AbsolutePath("ca");
        var certificate = args.AbsolutePath("certificate");
        var key = args.AbsolutePath("key");
        var serverName = args.Node("server-name", "the name the broker's certificate is issued for") is { } n ? args.ScalarText(n) : null;
        if (!args.Bool("tls", ca is not null || args.Has("ca")))
        {
            foreach (var only in Settings.Where(args.Has))
            {
                args.Error(args.Node(only)!.At, $"'{only}' is a TLS setting, but tls is false");
                ok = false;
            }

            return null;
        }

        if (args.Has("certificate") != args.Has("key"))
        {
            args.Error(args.Node(args.Has("certificate") ? "certificate" : "key")!.At, "a client certificate needs both 'certificate' and 'key' (PEM files)");
            ok = false;
        }

        SiteTrust? trust = null;
        try
        {
            trust = new SiteTrust(ca);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            args.Error(args.Node("ca")!.At, $"the CA file '{ca}' cannot be used: {e.Message}");
            ok = false;
        }

        X509Certificate2? client = null;
        if (certificate is not null && key is not null)
        {
            try
            {
                client = X509Certificate2.CreateFromPemFile(certificate, key);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                args.Error(args.Node("certificate")!.At, $"the client certificate '{certificate}' with key '{key}' cannot be used: {e.Message}");
                ok = false;
            }
        }

        if (!ok || trust is null || (ca is null && args.Has("ca")) || (certificate is null && args.Has("certificate")) || (key is null && args.Has("key")))
        {
            client?.Dispose();
            ok = false;
            return null;
        }

        return new MqttTls(trust, serverName ?? broker?.ToString() ?? "", client);
    }

    public void Dispose() => ClientCertificate?.Dispose();
}
