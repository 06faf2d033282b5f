using System.Globalization;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>
/// A per-device map of pack sensors to JSON fields (<c>fields: {cpu-temp-c: cpu.temp, disk: disks.0.free}</c>),
/// shared by the families that read JSON (HTTP status pages, MQTT messages): each field is a dotted path, its value
/// converted to the sensor's kind (bool, int, decimal, string; a number where a bool is declared is an error, never
/// a guess).
/// </summary>
public sealed class JsonFields
{
    private readonly IReadOnlyList<(SensorDef Sensor, string[] Field)> _fields;

    private JsonFields(IReadOnlyList<(SensorDef, string[])> fields) => _fields = fields;

    public IReadOnlyList<SensorOutput> Produces => [.. _fields.Select(f => new SensorOutput(f.Sensor.Name, f.Sensor.Kind))];

    /// <summary>The required <c>fields</c> argument, checked against the pack's sensors; null after reporting errors.</summary>
    public static JsonFields? Compile(ElementArgs args, MonitorTarget target)
    {
        var fields = new List<(SensorDef, string[])>();
        var fieldsNode = args.Required("fields", "map: sensor -> JSON field");
        if (fieldsNode is not null && args.Map(fieldsNode, "fields") is { } map)
        {
            foreach (var (key, value) in fieldsNode.Entries)
            {
                map.Node(key.Text);
                var sensor = target.Sensors.FirstOrDefault(s => s.Name == key.Text);
                if (sensor is null)
                {
                    var suggestion = Spelling.Closest(key.Text, target.Sensors.Select(s => s.Name));
                    args.Error(key.At, $"'{Printable.Escape(key.Text)}' is not a sensor of the device's pack (sensors: {string.Join(", ", target.Sensors.Select(s => s.Name))})", suggestion is null ? null : $"did you mean '{suggestion}'?");
                }
                else if (map.ScalarText(value) is { Length: > 0 and <= 256 } field)
                {
                    fields.Add((sensor, field.Split('.')));
                }
                else
                {
                    args.Error(value.At, $"field of '{key.Text}' must be a dotted JSON path of at most 256 characters");
                }
            }

            if (fieldsNode.Entries.Count == 0)
            {
                args.Error(fieldsNode.At, "'fields' maps at least one sensor to a JSON field");
            }
        }

        return fields.Count == 0 ? null : new JsonFields(fields);
    }

    /// <summary>Every mapped sensor's reading from <paramref name="root"/>; a missing or mistyped field says which.</summary>
    public IReadOnlyList<Reading> Read(JsonElement root)
    {
        var readings = new List<Reading>(_fields.Count);
        foreach (var (sensor, field) in _fields)
        {
            readings.Add(new Reading(sensor.Name, Convert(Find(root, field, sensor.Name), sensor)));
        }

        return readings;
    }

    private static JsonElement Find(JsonElement root, string[] field, string sensor)
    {
        var at = root;
        foreach (var step in field)
        {
            if (at.ValueKind == JsonValueKind.Object && at.TryGetProperty(step, out var next))
            {
                at = next;
            }
            else if (at.ValueKind == JsonValueKind.Array && int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < at.GetArrayLength())
            {
                at = at[i];
            }
            else
            {
                throw new DeviceProtocolException($"{sensor}: the answer has no field '{Printable.Escape(string.Join('.', field))}'");
            }
        }

        return at;
    }

    private static EvValue Convert(JsonElement value, SensorDef sensor)
    {
        var ok = (sensor.Kind, value.ValueKind) switch
        {
            (ValueKind.Bool, JsonValueKind.True or JsonValueKind.False) => EvValue.Of(value.GetBoolean()),
            (ValueKind.Int, JsonValueKind.Number) when value.TryGetInt64(out var i) => EvValue.Of(i),
            (ValueKind.Decimal, JsonValueKind.Number) when value.TryGetDecimal(out var d) => EvValue.Of(d),
            (ValueKind.String, JsonValueKind.String) when value.GetString() is { Length: <= 1024 } s => EvValue.Of(s),
            _ => (EvValue?)null,
        };
        return ok ?? throw new DeviceProtocolException($"{sensor.Name}: {Describe(value)} is not a {MonitorCompilation.Kind(sensor.Kind)}");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Printable.Escape(value.GetString()!.Length > 40 ? value.GetString()![..40] + "…" : value.GetString()!)}'",
        JsonValueKind.Number => $"the number {Printable.Escape(value.GetRawText().Length > 40 ? value.GetRawText()[..40] : value.GetRawText())}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
