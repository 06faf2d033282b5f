using System.Text;

namespace KalkiEdge.LiveTests.Support;

/// <summary>Writes a site config for the testbed: every device host registered with a chain, the appliance's two ports.</summary>
public sealed class LiveConfig : IDisposable
{
    public LiveConfig() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kalki-live-" + Guid.NewGuid().ToString("N")[..10]);

    /// <summary>
    /// Writes the config: a device named in <paramref name="types"/> runs under that device-type pack (the control
    /// plane picks its chain by state), one named in <paramref name="chains"/> gets that fixed chain, any other
    /// <paramref name="defaultChain"/>. <paramref name="sections"/> are further top-level lines (e.g. <see cref="BatchedSigning"/>).
    /// Hosts named in <paramref name="leaveOut"/> are not registered (unknown devices until added at run time);
    /// <paramref name="extras"/> adds keys to a device's entry (e.g. its monitor and credentials).
    /// </summary>
    public string Write(Testbed testbed, string defaultChain = "pass", IReadOnlyDictionary<string, string>? chains = null, string interfaces = "{devices: [dev0], uplink: up0}", IReadOnlyDictionary<string, string>? types = null, string sections = "", IReadOnlySet<string>? leaveOut = null, IReadOnlyDictionary<string, string>? extras = null)
    {
        var yaml = new StringBuilder()
            .AppendLine($"umboxes: {Umboxes()}")
            .AppendLine("unknown-devices: drop")
            .AppendLine($"interfaces: {interfaces}")
            .AppendLine(sections)
            .AppendLine("devices:");
        foreach (var d in testbed.Devices.Where(d => leaveOut is null || !leaveOut.Contains(d.Name)))
        {
            var chain = chains is not null && chains.TryGetValue(d.Name, out var c) ? c : defaultChain;
            var policy = types is not null && types.TryGetValue(d.Name, out var t) ? $"type: {t}" : $"chain: \"{chain}\"";
            var extra = extras is not null && extras.TryGetValue(d.Name, out var e) ? $", {e}" : "";
            yaml.AppendLine($"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, {policy}{extra}}}");
        }

        var path = Path.Combine(Dir, $"site-{Guid.NewGuid().ToString("N")[..6]}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    /// <summary>Packet signing in batches through the emulated shim, its key in this config directory.</summary>
    public string BatchedSigning => Signing("batched");

    /// <summary>Packet signing in <paramref name="mode"/> (batched, epoch, ...) through the emulated shim, its key in this config directory; <paramref name="thread"/> is the section's <c>thread</c>.</summary>
    public string Signing(string mode, string thread = "auto") =>
        $"hypervisor: {{backend: emulated, key: {Path.Combine(Dir, "hypervisor.key")}}}\nsigning: {{mode: {mode}, thread: {thread}}}";

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>The repository's umboxes directory once it ships images; until then one with no images and its rules.</summary>
    private string Umboxes()
    {
        var repo = Path.Combine(RepoPaths.Root, "umboxes");
        if (Directory.Exists(Path.Combine(repo, "images")))
        {
            return repo;
        }

        var own = Path.Combine(Dir, "umboxes");
        Directory.CreateDirectory(Path.Combine(own, "images"));
        if (!Directory.Exists(Path.Combine(own, "rules")))
        {
            Directory.CreateSymbolicLink(Path.Combine(own, "rules"), Path.Combine(repo, "rules"));
        }

        return own;
    }
}
