namespace KalkiEdge.Panel.Fingerprinting;

/// <summary>
/// What a pairing candidate has said about itself so far. Bounded: each text is cut to <see cref="MaxText"/>
/// characters and each list holds at most <see cref="MaxItems"/>, whatever the candidate sends.
/// </summary>
public sealed class Evidence
{
    public const int MaxText = 96;
    public const int MaxItems = 8;

    /// <summary>MUD URLs are longer than the other texts (RFC 8520 allows 255 bytes in DHCP and LLDP).</summary>
    public const int MaxUrl = 255;

    private readonly List<string> _services = [];
    private readonly List<string> _ssdp = [];

    /// <summary>DHCP option 12.</summary>
    public string? HostName { get; private set; }

    /// <summary>DHCP option 60.</summary>
    public string? VendorClass { get; private set; }

    /// <summary>DHCP option 55, as "1,3,6,…".</summary>
    public string? ParameterRequestList { get; private set; }

    /// <summary>DNS-SD service types announced or asked for over mDNS (e.g. _hue._tcp).</summary>
    public IReadOnlyList<string> MdnsServices => _services;

    /// <summary>SSDP NT/ST/USN/SERVER values.</summary>
    public IReadOnlyList<string> Ssdp => _ssdp;

    /// <summary>The MUD URL (RFC 8520) the device announced, from DHCP option 161 or LLDP; only https URLs are kept.</summary>
    public string? MudUrl { get; private set; }

    /// <summary>The HTTP <c>Server:</c> header of the candidate's first HTTP response.</summary>
    public string? HttpServer { get; private set; }

    public void SetDhcp(string? hostName, string? vendorClass, string? parameters)
    {
        HostName ??= Cut(hostName);
        VendorClass ??= Cut(vendorClass);
        ParameterRequestList ??= Cut(parameters);
    }

    public void AddService(string service) => AddOnce(_services, service);

    public void AddSsdp(string value) => AddOnce(_ssdp, value);

    public void SetHttpServer(string server) => HttpServer ??= Cut(server);

    /// <summary>Whether <paramref name="url"/> can name a MUD file: an absolute https URL of at most <see cref="MaxUrl"/> printable ASCII characters.</summary>
    public static bool IsMudUrl(string url) => MudUrlProblem(url) is null;

    /// <summary>Why <paramref name="url"/> cannot name a MUD file, in words for the person who typed it; null when it can.</summary>
    public static string? MudUrlProblem(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length > MaxUrl)
        {
            return $"it is {url.Length} characters long, and a MUD URL has at most {MaxUrl}";
        }

        if (!url.All(c => c is > ' ' and <= '~'))
        {
            return "it holds a space, a control character or a non-ASCII character";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "it is not a whole URL (a MUD URL reads https://HOST/PATH)";
        }

        return uri.Scheme == Uri.UriSchemeHttps ? null : $"it is {uri.Scheme}, and MUD URLs are https only (RFC 8520 section 8)";
    }

    /// <summary>Keeps the first well-formed https URL (RFC 8520 section 8: MUD URLs use https); anything else is ignored.</summary>
    public void SetMudUrl(string url)
    {
        if (MudUrl is null && IsMudUrl(url))
        {
            MudUrl = url;
        }
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (HostName is not null)
        {
            parts.Add($"dhcp host-name '{HostName}'");
        }

        if (VendorClass is not null)
        {
            parts.Add($"dhcp vendor-class '{VendorClass}'");
        }

        if (ParameterRequestList is not null)
        {
            parts.Add($"dhcp parameters {ParameterRequestList}");
        }

        parts.AddRange(_services.Select(s => $"mdns {s}"));
        parts.AddRange(_ssdp.Select(s => $"ssdp {s}"));
        if (HttpServer is not null)
        {
            parts.Add($"http server '{HttpServer}'");
        }

        if (MudUrl is not null)
        {
            parts.Add($"mud {MudUrl}");
        }

        return string.Join("; ", parts);
    }

    private static void AddOnce(List<string> list, string value)
    {
        var cut = Cut(value)!;
        if (list.Count < MaxItems && !list.Contains(cut, StringComparer.OrdinalIgnoreCase))
        {
            list.Add(cut);
        }
    }

    /// <summary>Printable ASCII only (what a device sends ends up on the LCD and in logs), at most <see cref="MaxText"/> characters.</summary>
    private static string? Cut(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var clean = new string([.. text.Take(MaxText).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return clean.Trim();
    }
}
