using System.Globalization;
using System.Xml;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Wemo;

/// <summary>
/// Belkin WeMo Insight plug (UPnP SOAP on its HTTP port): <c>GetBinaryState</c> gives <c>on</c>,
/// <c>GetInsightParams</c> gives <c>power-w</c> (current draw) and <c>today-kwh</c>; <c>turn-on</c> /
/// <c>turn-off</c> are <c>SetBinaryState</c>. The plug has no authentication.
/// </summary>
public sealed class WemoMonitor(MonitorTarget target) : DeviceMonitor(target)
{
    public const string Family = "wemo-insight";
    public const string BasicEvent = "urn:Belkin:service:basicevent:1";
    public const string Insight = "urn:Belkin:service:insight:1";
    public const string BasicEventPath = "/upnp/control/basicevent1";
    public const string InsightPath = "/upnp/control/insight1";

    public override IReadOnlyList<SensorOutput> Produces { get; } =
        [new("on", ValueKind.Bool), new("power-w", ValueKind.Decimal), new("today-kwh", ValueKind.Decimal)];

    public override IReadOnlyList<string> Commands { get; } = ["turn-on", "turn-off"];

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target) => new WemoMonitor(target);

    public override async Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token)
    {
        var on = IsOn(await Call(http, BasicEventPath, BasicEvent, "GetBinaryState", "", "BinaryState", token).ConfigureAwait(false));
        var insight = await Call(http, InsightPath, Insight, "GetInsightParams", "", "InsightParams", token).ConfigureAwait(false);
        var (powerW, todayKwh) = ParseInsight(insight);
        return [new("on", EvValue.Of(on)), new("power-w", EvValue.Of(powerW)), new("today-kwh", EvValue.Of(todayKwh))];
    }

    public override async Task SendAsync(DeviceHttp http, string command, CancellationToken token)
    {
        var on = command switch
        {
            "turn-on" => true,
            "turn-off" => false,
            _ => throw Unsupported(Family, command),
        };
        var answer = await Call(http, BasicEventPath, BasicEvent, "SetBinaryState", $"<BinaryState>{(on ? 1 : 0)}</BinaryState>", "BinaryState", token).ConfigureAwait(false);
        // The plug answers the state it is in now ("Error" when it refused).
        if (!answer.StartsWith('0') && !answer.StartsWith('1') && !answer.StartsWith('8'))
        {
            throw new DeviceProtocolException($"SetBinaryState: the plug answered '{Printable.Escape(Cut(answer))}'");
        }
    }

    /// <summary>The SOAP envelope of one action.</summary>
    public static string Envelope(string service, string action, string arguments) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
        + $"<s:Body><u:{action} xmlns:u=\"{service}\">{arguments}</u:{action}></s:Body></s:Envelope>";

    /// <summary>"1", "8" (on, idle) and "1|…" count as on; "0" as off.</summary>
    private static bool IsOn(string state) => (state.Length > 0 ? state[0] : ' ') switch
    {
        '1' or '8' => true,
        '0' => false,
        _ => throw new DeviceProtocolException($"GetBinaryState: '{Printable.Escape(Cut(state))}' is not a state"),
    };

    /// <summary>
    /// <c>state|lastchange|onfor|ontoday|ontotal|timeperiod|x|currentmw|todaymw|totalmw|threshold</c>: the draw now
    /// in milliwatts, today's energy in milliwatt-minutes.
    /// </summary>
    public static (decimal PowerW, decimal TodayKwh) ParseInsight(string text)
    {
        var fields = text.Split('|');
        if (fields.Length < 10
            || !long.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var currentMw)
            || !long.TryParse(fields[8], NumberStyles.None, CultureInfo.InvariantCulture, out var todayMwMin))
        {
            throw new DeviceProtocolException($"GetInsightParams: '{Printable.Escape(Cut(text))}' is not state|lastchange|onfor|ontoday|ontotal|period|x|currentmw|todaymw|totalmw|…");
        }

        return (currentMw / 1000m, Math.Round(todayMwMin / 60m / 1_000_000m, 6));
    }

    private async Task<string> Call(DeviceHttp http, string path, string service, string action, string arguments, string result, CancellationToken token)
    {
        using var request = DeviceHttp.Request(HttpMethod.Post, Target.Url(path), Envelope(service, action, arguments), "text/xml");
        request.Headers.TryAddWithoutValidation("SOAPACTION", $"\"{service}#{action}\"");
        var answer = await http.SendAsync(request, token).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw new DeviceProtocolException($"{action}: HTTP {answer.Status}");
        }

        return SoapValue(answer.Body, action, result);
    }

    /// <summary>The text of the first <paramref name="element"/> in a SOAP answer (no DTDs, bounded size and depth).</summary>
    public static string SoapValue(string body, string action, string element)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = 1 << 20,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(body), settings);
            while (reader.Read())
            {
                if (reader.Depth > 32)
                {
                    throw new DeviceProtocolException($"{action}: answer nested deeper than 32 elements");
                }

                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Fault")
                {
                    throw new DeviceProtocolException($"{action}: the plug answered a SOAP fault");
                }

                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == element)
                {
                    return reader.ReadElementContentAsString().Trim();
                }
            }
        }
        catch (XmlException e)
        {
            throw new DeviceProtocolException($"{action}: malformed XML ({e.Message})");
        }

        throw new DeviceProtocolException($"{action}: no <{element}> in the answer");
    }

    private static string Cut(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
