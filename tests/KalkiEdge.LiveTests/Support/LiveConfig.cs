using System.Text;

namespace KalkiEdge.LiveTests.Support;

/// <summary>Writes a site config for the testbed: every device host registered with a chain, the appliance's two ports.</summary>
public sealed class LiveConfig : IDisposable
{
    public LiveConfig() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kalki-live-" + Guid.NewGuid().ToString("N")[..10]);

    /// <summary>Writes the config; devices not named in <paramref name="chains"/> get <paramref name="defaultChain"/>.</summary>
    public string Write(Testbed testbed, string defaultChain = "pass", IReadOnlyDictionary<string, string>? chains = null, string interfaces = "{devices: [dev0], uplink: up0}")
    {
        var yaml = new StringBuilder()
            .AppendLine($"umboxes: {Umboxes()}")
            .AppendLine("unknown-devices: drop")
            .AppendLine($"interfaces: {interfaces}")
            .AppendLine("devices:");
        foreach (var d in testbed.Devices)
        {
            var chain = chains is not null && chains.TryGetValue(d.Name, out var c) ? c : defaultChain;
            yaml.AppendLine($"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, chain: \"{chain}\"}}");
        }

        var path = Path.Combine(Dir, $"site-{Guid.NewGuid().ToString("N")[..6]}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

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
