using System.Globalization;
using System.Net;
using System.Text.Json;

namespace KalkiEdge.Panel.Mud;

/// <summary>One from-device ACE the appliance can enforce, as an <c>egress-guard</c> allow rule.</summary>
public sealed record MudAllow(string Protocol, string? Remote, string? RemotePorts, string? LocalPorts)
{
    /// <summary>The rule in the chain language: <c>{proto: tcp, rport: 443, remote: 198.51.100.0/24}</c>.</summary>
    public override string ToString() =>
        "{" + string.Join(", ", new[] { $"proto: {Protocol}", RemotePorts is null ? null : $"rport: {RemotePorts}", LocalPorts is null ? null : $"lport: {LocalPorts}", Remote is null ? null : $"remote: {Remote}" }
            .Where(p => p is not null)) + "}";
}

/// <summary>
/// A MUD file (RFC 8520) read into what the appliance enforces: the from-device ACEs that accept traffic, as
/// <c>egress-guard</c> allow rules. Every construct the appliance cannot enforce is named with its JSON path in
/// <see cref="Unsupported"/> and its whole ACE left out, so an allow-list is never widened by a match that was
/// skipped (an ACE naming a host by DNS name does not become "any address"). Bounded: at most
/// <see cref="MaxBytes"/> bytes, <see cref="MaxDepth"/> levels of nesting and <see cref="MaxAces"/> ACEs.
/// </summary>
public sealed record MudFile(string Url, string? SystemInfo, IReadOnlyList<MudAllow> Allows, IReadOnlyList<string> Unsupported)
{
    /// <summary>
    /// The device's own ports the to-device ACEs let the far end connect to (<c>80</c>, <c>8000-8080</c>): its
    /// service ports (egress-guard's <c>lports</c>), whose answers are never egress. To-device ACEs that only let
    /// answers in (direction-initiated from-device) add nothing: egress-guard follows flows.
    /// </summary>
    public IReadOnlyList<string> ServicePorts { get; init; } = [];

    /// <summary>The file's JSON text as read (what the store keeps, so the same file is read again at start).</summary>
    public string Json { get; init; } = "";

    public const int MaxBytes = 256 * 1024;
    public const int MaxDepth = 32;
    public const int MaxAces = 256;

    private const string Mud = "ietf-mud:mud";
    private const string Acls = "ietf-access-control-list:acls";

    /// <summary>The rules as the <c>allow:</c> argument of <c>egress-guard</c>.</summary>
    public string EgressAllowList => "[" + string.Join(", ", Allows) + "]";

    /// <summary>Reads <paramref name="json"/>, named <paramref name="source"/> in every error; throws <see cref="MudException"/>.</summary>
    public static MudFile Parse(ReadOnlySpan<byte> json, string source)
    {
        if (json.Length > MaxBytes)
        {
            throw new MudException($"{source}: the MUD file is {json.Length} bytes, more than the {MaxBytes} accepted");
        }

        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..]; // a UTF-8 byte order mark, as editors write one
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new MudException($"{source}: not a MUD file: {e.Message}");
        }

        using (document)
        {
            try
            {
                return new Reader(source).Read(document.RootElement) with { Json = System.Text.Encoding.UTF8.GetString(json) };
            }
            catch (InvalidOperationException e)
            {
                // A value of a kind the reader did not check before using it: refused, never a crash.
                throw new MudException($"{source}: not a MUD file the appliance can read: {e.Message}", e);
            }
        }
    }

    private sealed class Reader(string source)
    {
        private readonly List<string> _unsupported = [];
        private int _aces;

        public MudFile Read(JsonElement root)
        {
            var mud = Member(root, "$", Mud, JsonValueKind.Object);
            var version = Member(mud, $"$.{Mud}", "mud-version", JsonValueKind.Number);
            if (!version.TryGetInt32(out var v) || v != 1)
            {
                throw Error($"$.{Mud}.mud-version", $"version {version.GetRawText()} is not supported (only 1, RFC 8520)");
            }

            var url = Member(mud, $"$.{Mud}", "mud-url", JsonValueKind.String).GetString()!;
            var info = mud.TryGetProperty("systeminfo", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var acls = root.TryGetProperty(Acls, out var a) ? Member(a, $"$.{Acls}", "acl", JsonValueKind.Array) : default;
            var allows = new List<MudAllow>();
            foreach (var (ace, path) in Aces(mud, acls, "from-device-policy"))
            {
                if (Ace(ace, path) is { } allow)
                {
                    allows.Add(allow);
                }
            }

            var ports = new List<string>();
            foreach (var (ace, path) in Aces(mud, acls, "to-device-policy"))
            {
                if (ServicePort(ace, path) is { } port && !ports.Contains(port))
                {
                    ports.Add(port);
                }
            }

            return new MudFile(url, info, allows, _unsupported) { ServicePorts = ports };
        }

        /// <summary>Every ACE of the access lists <paramref name="policy"/> names, with its JSON path (at most <see cref="MaxAces"/> in all).</summary>
        private IEnumerable<(JsonElement Ace, string Path)> Aces(JsonElement mud, JsonElement acls, string policy)
        {
            foreach (var name in PolicyAcls(mud, policy))
            {
                var (acl, index) = Find(acls, name);
                var path = $"$.{Acls}.acl[{index}]";
                if (acl.ValueKind != JsonValueKind.Object)
                {
                    throw Error($"$.{Mud}.{policy}", $"access list '{name}' is named but not defined under {Acls}");
                }

                if (!acl.TryGetProperty("aces", out var aces) || aces.ValueKind != JsonValueKind.Object || !aces.TryGetProperty("ace", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    continue; // an empty list allows nothing
                }

                var i = 0;
                foreach (var ace in list.EnumerateArray())
                {
                    if (++_aces > MaxAces)
                    {
                        throw Error($"{path}.aces.ace[{i}]", $"more than {MaxAces} ACEs");
                    }

                    yield return (ace, $"{path}.aces.ace[{i++}]");
                }
            }
        }

        /// <summary>A to-device ACE: the device port the far end may connect to, or null (answers only, a drop, or unsupported and reported).</summary>
        private string? ServicePort(JsonElement ace, string path)
        {
            if (Accepts(ace, path) is not true)
            {
                return null;
            }

            string? port = null;
            foreach (var match in Member(ace, path, "matches", JsonValueKind.Object).EnumerateObject())
            {
                var at = $"{path}.matches.{match.Name}";
                switch (match.Name)
                {
                    case "ipv4" or "ipv6":
                        break; // who may connect in is the pack's firewall's business; egress-guard only sees the answers
                    case "tcp" or "udp" when match.Value.ValueKind == JsonValueKind.Object:
                        foreach (var field in match.Value.EnumerateObject())
                        {
                            switch (field.Name)
                            {
                                case "destination-port":
                                    port = Port(field.Value, $"{at}.destination-port");
                                    if (port is null)
                                    {
                                        return null;
                                    }

                                    break;
                                case "source-port":
                                    break;
                                case "ietf-mud:direction-initiated":
                                    if (field.Value.ValueKind == JsonValueKind.String && field.Value.GetString() == "from-device")
                                    {
                                        return null; // answers to the device's own connections: egress-guard follows flows
                                    }

                                    break;
                                default:
                                    Skip($"{at}.{field.Name}", "not supported");
                                    return null;
                            }
                        }

                        break;
                    default:
                        Skip(at, "not supported: the ACE is left out, so no service port comes from it");
                        return null;
                }
            }

            return port;
        }

        /// <summary>True for accept, false for drop/reject (nothing to add), null for an unknown action (reported).</summary>
        private bool? Accepts(JsonElement ace, string path)
        {
            var forwarding = Member(Member(ace, path, "actions", JsonValueKind.Object), $"{path}.actions", "forwarding", JsonValueKind.String).GetString();
            if (forwarding is "drop" or "reject" or "ietf-access-control-list:drop" or "ietf-access-control-list:reject")
            {
                return false; // the allow-list refuses what it does not name
            }

            if (forwarding is not ("accept" or "ietf-access-control-list:accept"))
            {
                Skip($"{path}.actions.forwarding", $"'{forwarding}' is not an action the appliance knows");
                return null;
            }

            return true;
        }

        private List<string> PolicyAcls(JsonElement mud, string policy)
        {
            var names = new List<string>();
            if (!mud.TryGetProperty(policy, out var p))
            {
                return names;
            }

            var path = $"$.{Mud}.{policy}.access-lists.access-list";
            var list = Member(Member(p, $"$.{Mud}.{policy}", "access-lists", JsonValueKind.Object), $"$.{Mud}.{policy}.access-lists", "access-list", JsonValueKind.Array);
            var i = 0;
            foreach (var entry in list.EnumerateArray())
            {
                names.Add(Member(entry, $"{path}[{i++}]", "name", JsonValueKind.String).GetString()!);
            }

            return names;
        }

        /// <summary>One ACE: its accept rule, or null (a drop ACE adds nothing to an allow-list; an unsupported one is reported).</summary>
        private MudAllow? Ace(JsonElement ace, string path)
        {
            if (Accepts(ace, path) is not true)
            {
                return null;
            }

            var matches = Member(ace, path, "matches", JsonValueKind.Object);
            string protocol = "ip";
            string? remote = null, rport = null, lport = null;
            foreach (var match in matches.EnumerateObject())
            {
                var at = $"{path}.matches.{match.Name}";
                switch (match.Name)
                {
                    case "ipv4" or "ipv6" when match.Value.ValueKind == JsonValueKind.Object:
                        foreach (var field in match.Value.EnumerateObject())
                        {
                            switch (field.Name)
                            {
                                case "protocol":
                                    if (Protocol(field.Value) is not { } p)
                                    {
                                        return Skip($"{at}.protocol", $"protocol {field.Value.GetRawText()} cannot be matched (tcp 6, udp 17, icmp 1 or 58)");
                                    }

                                    protocol = p;
                                    break;
                                case "destination-ipv4-network" or "destination-ipv6-network":
                                    if (field.Value.ValueKind != JsonValueKind.String || !IPNetwork.TryParse(field.Value.GetString(), out var network))
                                    {
                                        return Skip($"{at}.{field.Name}", $"{field.Value.GetRawText()} is not an address prefix");
                                    }

                                    remote = network.ToString();
                                    break;
                                default:
                                    return Skip($"{at}.{field.Name}", field.Name.EndsWith("dnsname", StringComparison.Ordinal)
                                        ? "host names are not supported (the appliance matches addresses, it does not resolve names)"
                                        : "not supported");
                            }
                        }

                        break;
                    case "tcp" or "udp" when match.Value.ValueKind == JsonValueKind.Object:
                        foreach (var field in match.Value.EnumerateObject())
                        {
                            switch (field.Name)
                            {
                                case "destination-port":
                                    rport = Port(field.Value, $"{at}.destination-port");
                                    if (rport is null)
                                    {
                                        return null;
                                    }

                                    break;
                                case "source-port":
                                    lport = Port(field.Value, $"{at}.source-port");
                                    if (lport is null)
                                    {
                                        return null;
                                    }

                                    break;
                                case "ietf-mud:direction-initiated":
                                    if (field.Value.ValueKind != JsonValueKind.String || field.Value.GetString() != "from-device")
                                    {
                                        return Skip($"{at}.{field.Name}", "connections the far end opens are answers, which egress-guard never counts as egress");
                                    }

                                    break;
                                default:
                                    return Skip($"{at}.{field.Name}", "not supported");
                            }
                        }

                        protocol = match.Name;
                        break;
                    default:
                        // ietf-mud:mud (manufacturer, same-manufacturer, local-networks, controller, model), eth, icmp codes…
                        return Skip(at, "not supported: the ACE is left out, so its traffic is not allowed");
                }
            }

            return new MudAllow(protocol, remote, rport, lport);
        }

        private string? Port(JsonElement port, string path)
        {
            if (port.ValueKind != JsonValueKind.Object)
            {
                Skip(path, "expected an object");
                return null;
            }

            if (port.TryGetProperty("lower-port", out var lower) && port.TryGetProperty("upper-port", out var upper)
                && lower.ValueKind == JsonValueKind.Number && upper.ValueKind == JsonValueKind.Number && lower.TryGetInt32(out var lo) && upper.TryGetInt32(out var hi) && lo is >= 0 and <= 65535 && hi >= lo && hi <= 65535)
            {
                return $"{lo}-{hi}";
            }

            var op = !port.TryGetProperty("operator", out var o) ? "eq" : o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            if (op != "eq" || !port.TryGetProperty("port", out var p) || p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out var n) || n is < 0 or > 65535)
            {
                Skip(path, $"{port.GetRawText()} is not a port the appliance can match (operator eq with a port, or lower-port/upper-port)");
                return null;
            }

            return n.ToString(CultureInfo.InvariantCulture);
        }

        private static string? Protocol(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n switch { 6 => "tcp", 17 => "udp", 1 or 58 => "icmp", _ => null } : null;

        private static (JsonElement Acl, int Index) Find(JsonElement acls, string name)
        {
            if (acls.ValueKind != JsonValueKind.Array)
            {
                return (default, -1);
            }

            var i = 0;
            foreach (var acl in acls.EnumerateArray())
            {
                if (acl.ValueKind == JsonValueKind.Object && acl.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == name)
                {
                    return (acl, i);
                }

                i++;
            }

            return (default, -1);
        }

        private MudAllow? Skip(string path, string why)
        {
            _unsupported.Add($"{path}: {why}");
            return null;
        }

        private JsonElement Member(JsonElement parent, string path, string name, JsonValueKind kind)
        {
            if (parent.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, $"expected an object, got {parent.ValueKind.ToString().ToLowerInvariant()}");
            }

            if (!parent.TryGetProperty(name, out var value))
            {
                throw Error(path, $"'{name}' is missing");
            }

            if (value.ValueKind != kind)
            {
                throw Error($"{path}.{name}", $"expected {kind.ToString().ToLowerInvariant()}, got {value.ValueKind.ToString().ToLowerInvariant()}");
            }

            return value;
        }

        private MudException Error(string path, string why) => new($"{source}: {path}: {why}");
    }
}
