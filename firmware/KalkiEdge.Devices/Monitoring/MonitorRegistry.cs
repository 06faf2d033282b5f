using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>Validates a family's arguments for one device and returns its monitor, or null after reporting the errors.</summary>
public delegate DeviceMonitor? MonitorCompiler(ElementArgs args, MonitorTarget target);

/// <summary>A device family's monitor: its name, what it reads and sends, its default port, how it compiles, an example.</summary>
public sealed record MonitorFamily(string Name, string Summary, int DefaultPort, MonitorCompiler Compile, string Example);

/// <summary>The device monitors by family name (registered like the μmbox elements).</summary>
public sealed class MonitorRegistry
{
    private readonly Dictionary<string, MonitorFamily> _families = new(StringComparer.Ordinal);

    public IEnumerable<MonitorFamily> Families => _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal);

    public MonitorRegistry Add(string name, string summary, int defaultPort, MonitorCompiler compile, string example)
    {
        if (!_families.TryAdd(name, new MonitorFamily(name, summary, defaultPort, compile, example)))
        {
            throw new InvalidOperationException($"monitor family '{name}' is registered twice");
        }

        return this;
    }

    public bool TryGet(string name, out MonitorFamily family) => _families.TryGetValue(name, out family!);

    public string? Suggest(string name) => Spelling.Closest(name, _families.Keys.Order(StringComparer.Ordinal));
}
