using System.Globalization;
using System.Net;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Wemo;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A Belkin WeMo Insight plug on loopback speaking UPnP SOAP: GetBinaryState, SetBinaryState and GetInsightParams.
/// What the plug draws when on is <see cref="LoadMilliwatts"/> (a heater, in the kinetic scenario).
/// </summary>
public sealed class WemoSimulator : IDisposable
{
    private readonly SmallHttpServer _server;
    private readonly Lock _sync = new();
    private bool _on;
    private long _todayMilliwattMinutes;

    public WemoSimulator(bool on = false, long loadMilliwatts = 60_000, IPAddress? address = null, int port = 0)
    {
        _on = on;
        LoadMilliwatts = loadMilliwatts;
        _server = new SmallHttpServer(Handle, address, port);
    }

    public int Port => _server.Port;

    public int Requests => _server.Requests;

    public long LoadMilliwatts { get; set; }

    /// <summary>Set to answer every request with this instead (hostile-device tests).</summary>
    public Func<SmallRequest, SmallResponse?>? Override { get; set; }

    public bool On
    {
        get
        {
            lock (_sync)
            {
                return _on;
            }
        }

        set
        {
            lock (_sync)
            {
                _on = value;
            }
        }
    }

    /// <summary>Times SetBinaryState switched the plug.</summary>
    public int Switches { get; private set; }

    public void Dispose() => _server.Dispose();

    private SmallResponse Handle(SmallRequest request)
    {
        if (Override?.Invoke(request) is { } hostile)
        {
            return hostile;
        }

        var action = request.Headers.TryGetValue("SOAPACTION", out var a) ? a.Trim('"') : "";
        lock (_sync)
        {
            switch (request.Method, request.Path, action)
            {
                case ("POST", WemoMonitor.BasicEventPath, WemoMonitor.BasicEvent + "#GetBinaryState"):
                    return Soap("GetBinaryState", $"<BinaryState>{(_on ? 1 : 0)}</BinaryState>");
                case ("POST", WemoMonitor.BasicEventPath, WemoMonitor.BasicEvent + "#SetBinaryState"):
                    var state = WemoMonitor.SoapValue(request.Body, "SetBinaryState", "BinaryState");
                    _on = state == "1";
                    Switches++;
                    return Soap("SetBinaryState", $"<BinaryState>{(_on ? 1 : 0)}</BinaryState>");
                case ("POST", WemoMonitor.InsightPath, WemoMonitor.Insight + "#GetInsightParams"):
                    var current = _on ? LoadMilliwatts : 0;
                    _todayMilliwattMinutes += current / 60;
                    return Soap("GetInsightParams", string.Create(CultureInfo.InvariantCulture,
                        $"<InsightParams>{(_on ? 1 : 0)}|1733300000|120|3600|86400|1209600|20|{current}|{_todayMilliwattMinutes}|{_todayMilliwattMinutes}|8000</InsightParams>"));
                default:
                    return new SmallResponse(500, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring></s:Fault></s:Body></s:Envelope>", "text/xml");
            }
        }
    }

    private static SmallResponse Soap(string action, string content) => new(200,
        $"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:{action}Response xmlns:u=\"urn:Belkin:service\">{content}</u:{action}Response></s:Body></s:Envelope>",
        "text/xml");
}
