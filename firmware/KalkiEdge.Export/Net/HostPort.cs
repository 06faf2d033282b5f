namespace KalkiEdge.Export.Net;

/// <summary>A collector's or broker's address as the site config writes it: <c>HOST:PORT</c>, an IPv6 host in brackets.</summary>
internal static class HostPort
{
    public const string Example = "192.0.2.10:514 or [2001:db8::1]:6514";

    /// <summary>The host and port, or null when the text is not <c>HOST:PORT</c> with a port in 1..65535.</summary>
    public static (string Host, int Port)? Split(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '[' or ']') ? null : (host, port);
    }

    /// <summary>True for a loopback address or <c>localhost</c> (traffic that never leaves the appliance).</summary>
    public static bool IsLoopback(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
