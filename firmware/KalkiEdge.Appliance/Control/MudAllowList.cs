using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// A device's MUD file (RFC 8520) as its own egress allow-list: in the chain of its pack's initial state, every
/// <c>egress-guard</c> allows what the file's from-device ACEs accept, and its service ports (<c>lports</c>) are
/// the ports the to-device ACEs open, in place of the pack's; a chain without one (a pack that does not restrict
/// egress, such as generic-iot) gets one at its end, with egress-guard's defaults. The link services a device needs
/// to keep its address and be found (DHCP, mDNS, SSDP, IGMP) stay allowed where the pack allowed them: MUD files
/// describe a device's application traffic. The maker's list is enforced, not only watched: the guard drops a flow the device
/// opens outside it from its first packet (<c>block: true</c>, fail closed), still raising <c>abnormal-egress</c> so
/// the pack's rules move the device as they say; the device's answers to flows opened toward it are never egress
/// and pass. Every other argument (windows, flow table) stays the pack's. The rules are compiled by egress-guard
/// itself, so a MUD file yields exactly what the same rules written in a chain would.
/// </summary>
public sealed class MudAllowList : IChainOverlay
{
    /// <summary>The link services kept from the pack's allow-list when it allows them.</summary>
    public static readonly IReadOnlyList<MudAllow> LinkServices =
    [
        new("udp", null, "67", null),
        new("udp", "224.0.0.251/32", "5353", null),
        new("udp", "239.255.255.250/32", "1900", null),
        new("ip", "224.0.0.22/32", null, null),
    ];

    private readonly MudFile _mud;
    private readonly ChainCompiler _compiler;
    private readonly Lock _gate = new();
    private (ChainDefinition Image, ChainDefinition Device)? _last;

    private MudAllowList(MudFile mud, string state, ChainCompiler compiler)
    {
        _mud = mud;
        State = state;
        _compiler = compiler;
    }

    public string State { get; }

    /// <summary>The URL of the MUD file this allow-list comes from.</summary>
    public string Url => _mud.Url;

    /// <summary>
    /// The overlay for a device whose initial state runs <paramref name="initialChain"/>. Throws
    /// <see cref="MudException"/> when the rules do not compile.
    /// </summary>
    public static MudAllowList Create(MudFile mud, string initialState, ChainDefinition initialChain, ChainCompiler compiler)
    {
        ArgumentNullException.ThrowIfNull(mud);
        ArgumentNullException.ThrowIfNull(initialChain);
        var overlay = new MudAllowList(mud, initialState, compiler);
        overlay.Apply(initialChain); // compiled now, so a bad file is refused before the device's chain changes
        return overlay;
    }

    public ChainDefinition Apply(ChainDefinition image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_gate)
        {
            if (_last is { } last && ReferenceEquals(last.Image, image))
            {
                return last.Device; // the same image again (a return to this state): compiled once
            }

            var specs = image.Specs.OfType<ElementSpec<EgressGuardConfig>>().Any()
                ? image.Specs.Select(s => s is ElementSpec<EgressGuardConfig> guard ? Guard(guard) : s).ToList()
                : [.. image.Specs, Guard(null)];
            var device = new ChainDefinition($"{image.Text} [egress-guard allow-list from MUD {_mud.Url}]", specs, image.Files, image.Image);
            _last = (image, device);
            return device;
        }
    }

    /// <summary>The pack's guard narrowed to the file, or (<paramref name="pack"/> null: the pack allows all egress) a new one.</summary>
    private ElementSpec<EgressGuardConfig> Guard(ElementSpec<EgressGuardConfig>? pack)
    {
        var kept = LinkServices.Where(s => MudPackCheck.Allows(s, pack is null ? [] : [pack.Config.AllowList])).ToList();
        var rules = string.Join(", ", _mud.Allows.Concat(kept));
        var text = _mud.ServicePorts.Count == 0 ? $"egress-guard(allow: [{rules}])" : $"egress-guard(allow: [{rules}], lports: [{string.Join(", ", _mud.ServicePorts)}])";
        var diagnostics = new DiagnosticBag();
        var compiled = _compiler.Compile(text, new SourceSpan(_mud.Url, 1, 1), diagnostics)?.Specs.OfType<ElementSpec<EgressGuardConfig>>().SingleOrDefault();
        if (compiled is null || diagnostics.HasErrors)
        {
            throw new MudException($"{_mud.Url}: its rules do not make an egress-guard allow-list: {diagnostics}");
        }

        var config = pack?.Config ?? compiled.Config;
        return new ElementSpec<EgressGuardConfig>(pack?.Name ?? compiled.Name, config with { AllowList = compiled.Config.AllowList, Block = true }, static c => new EgressGuard(c));
    }
}
