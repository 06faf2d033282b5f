using System.Text;

namespace KalkiEdge.Appliance.Simulation;

/// <summary>How one device family introduces itself on a new network.</summary>
public sealed record FamilyIntroduction(string Family, string HostName, string? VendorClass, byte[] ParameterRequestList)
{
    /// <summary>A DNS-SD service type it announces over mDNS (e.g. _hue._tcp), if any.</summary>
    public string? MdnsService { get; init; }

    /// <summary>SSDP NOTIFY headers (NT, SERVER, …), if it speaks SSDP.</summary>
    public string? SsdpHeaders { get; init; }

    /// <summary>The Server header of its web interface, and the port, if it has one.</summary>
    public (string Server, ushort Port)? Http { get; init; }

    /// <summary>The MUD URL (RFC 8520) its DHCP client sends in option 161, if any.</summary>
    public string? MudUrl { get; init; }
}

/// <summary>
/// A device's first minutes on a network, as the supported families really behave: ARP probe, DHCP
/// DISCOVER/OFFER/REQUEST/ACK with host name, vendor class and parameter list, a gratuitous ARP, mDNS or SSDP
/// announcements, a first HTTP exchange, and periodic announcements after that. For pairing tests and demos.
/// </summary>
public static class PairingTraffic
{
    public static readonly Host Gateway = new("gateway", "02:00:00:00:00:fe", "192.0.2.1");

    private static readonly Host Broadcast = new("broadcast", "ff:ff:ff:ff:ff:ff", "255.255.255.255");
    private static readonly Host Mdns = new("mdns", "01:00:5e:00:00:fb", "224.0.0.251");
    private static readonly Host Ssdp = new("ssdp", "01:00:5e:7f:ff:fa", "239.255.255.250");

    public static readonly FamilyIntroduction Hue = new("philips-hue-bridge", "Philips-hue", "udhcp 1.23.2", [1, 3, 6, 12, 15, 28, 42])
    {
        MdnsService = "_hue._tcp",
        SsdpHeaders = "SERVER: Hue/1.0 UPnP/1.0 IpBridge/1.48.0\r\nhue-bridgeid: 001788FFFE5E6F70\r\nNT: upnp:rootdevice",
        Http = ("nginx", 80),
    };

    public static readonly FamilyIntroduction Wemo = new("wemo-insight", "wemo", null, [1, 3, 6, 12, 15, 28])
    {
        SsdpHeaders = "SERVER: Unspecified, UPnP/1.0, Unspecified\r\nNT: urn:Belkin:device:insight:1",
        Http = ("Unspecified, UPnP/1.0, Unspecified", 49153),
    };

    public static readonly FamilyIntroduction DlinkCamera = new("dlink-camera", "DCS-930L", "dlink", [1, 3, 6, 15])
    {
        Http = ("alphapd", 80),
    };

    public static readonly FamilyIntroduction UdooNeo = new("udoo-neo", "udooneo", "dhcpcd-6.10.1:Linux-3.14.56:armv7l:Freescale i.MX6 SoloX", [1, 121, 33, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119])
    {
        MdnsService = "_workstation._tcp",
    };

    /// <summary>A device of no supported family: it names nothing the fingerprints know.</summary>
    public static readonly FamilyIntroduction Unknown = new("generic-iot", "esp_3c71bf", null, [1, 3, 28, 6, 15]);

    /// <summary>Adds the device's introduction starting at <paramref name="start"/>, for <paramref name="minutes"/> minutes; returns its last frame's time.</summary>
    public static long Introduce(Timeline timeline, FamilyIntroduction family, Host device, long start, int minutes = 2)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(device);
        const long ms = 1000;
        var unconfigured = device with { Ip = "0.0.0.0" };
        timeline.Add(start, PacketFactory.ArpRequest(unconfigured, device.Ip)); // RFC 5227 probe
        timeline.Add(start + (100 * ms), PacketFactory.Udp(unconfigured, Broadcast, 68, 67, Dhcp(family, device, messageType: 1)));
        timeline.Add(start + (300 * ms), PacketFactory.Udp(Gateway, device, 67, 68, Dhcp(family, device, messageType: 2)));
        timeline.Add(start + (1_100 * ms), PacketFactory.Udp(unconfigured, Broadcast, 68, 67, Dhcp(family, device, messageType: 3)));
        timeline.Add(start + (1_300 * ms), PacketFactory.Udp(Gateway, device, 67, 68, Dhcp(family, device, messageType: 5)));
        var t = start + (1_500 * ms);
        timeline.Add(t, PacketFactory.ArpRequest(device, device.Ip)); // gratuitous ARP: the address is taken
        for (var announce = 0; announce < minutes * 2; announce++, t += 30_000 * ms)
        {
            if (family.MdnsService is { } service)
            {
                timeline.Add(t + (500 * ms), PacketFactory.Udp(device, Mdns, 5353, 5353, MdnsAnnouncement(service, family.HostName)));
            }

            if (family.SsdpHeaders is { } headers)
            {
                var notify = $"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=100\r\nLOCATION: http://{device.Ip}/description.xml\r\nNTS: ssdp:alive\r\n{headers}\r\nUSN: uuid:2f402f80-da50-11e1-9b23-{device.Mac.Replace(":", "", StringComparison.Ordinal)}\r\n\r\n";
                timeline.Add(t + (700 * ms), PacketFactory.Udp(device, Ssdp, 1900, 1900, PacketFactory.Ascii(notify)));
            }

            timeline.Add(t + (900 * ms), PacketFactory.ArpRequest(device, Gateway.Ip));
        }

        if (family.Http is { } http)
        {
            var response = $"HTTP/1.1 200 OK\r\nServer: {http.Server}\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok";
            t = timeline.TcpSession(start + (5_000 * ms), Gateway, device, 40_000, http.Port, PacketFactory.Ascii($"GET / HTTP/1.1\r\nHost: {device.Ip}\r\n\r\n"), PacketFactory.Ascii(response));
        }

        return Math.Max(t, start + (minutes * 60_000 * ms));
    }

    /// <summary>A BOOTP/DHCP message (RFC 2131): DISCOVER 1, OFFER 2, REQUEST 3, ACK 5; the client's options on its messages.</summary>
    public static byte[] Dhcp(FamilyIntroduction family, Host device, byte messageType)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(device);
        var fromClient = messageType is 1 or 3;
        var b = new List<byte>(new byte[236]);
        b[0] = fromClient ? (byte)1 : (byte)2;
        b[1] = 1;
        b[2] = 6;
        b[4] = 0x3c; // xid
        b[5] = 0x71;
        var mac = device.Mac.Split(':').Select(h => Convert.ToByte(h, 16)).ToArray();
        for (var i = 0; i < 6; i++)
        {
            b[28 + i] = mac[i];
        }

        if (!fromClient)
        {
            var yiaddr = System.Net.IPAddress.Parse(device.Ip).GetAddressBytes();
            for (var i = 0; i < 4; i++)
            {
                b[16 + i] = yiaddr[i];
            }
        }

        b.AddRange([99, 130, 83, 99, 53, 1, messageType]);
        if (fromClient)
        {
            Option(b, 12, Encoding.ASCII.GetBytes(family.HostName));
            if (family.VendorClass is { } vendor)
            {
                Option(b, 60, Encoding.ASCII.GetBytes(vendor));
            }

            Option(b, 55, family.ParameterRequestList);
            if (family.MudUrl is { } mud)
            {
                Option(b, 161, Encoding.ASCII.GetBytes(mud));
            }
        }
        else
        {
            Option(b, 54, System.Net.IPAddress.Parse(Gateway.Ip).GetAddressBytes());
            Option(b, 51, [0, 0, 0x0e, 0x10]);
        }

        b.Add(255);
        return [.. b];
    }

    /// <summary>An mDNS response announcing one service instance: PTR SERVICE.local → INSTANCE.SERVICE.local.</summary>
    public static byte[] MdnsAnnouncement(string service, string instance)
    {
        ArgumentNullException.ThrowIfNull(service);
        var b = new List<byte> { 0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
        foreach (var label in (service + ".local").Split('.'))
        {
            b.Add((byte)label.Length);
            b.AddRange(Encoding.ASCII.GetBytes(label));
        }

        b.Add(0);
        b.AddRange([0, 12, 0, 1, 0, 0, 0x11, 0x94]); // PTR, IN, TTL 4500
        var name = Encoding.ASCII.GetBytes(instance);
        b.AddRange([0, (byte)(name.Length + 3), (byte)name.Length]);
        b.AddRange(name);
        b.AddRange([0xc0, 12]); // pointer to the service name
        return [.. b];
    }

    private static void Option(List<byte> b, byte code, byte[] value)
    {
        b.Add(code);
        b.Add((byte)value.Length);
        b.AddRange(value);
    }
}
