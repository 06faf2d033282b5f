using System.Text.Json;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>Parses a device's JSON answer with bounded depth; malformed JSON is a <see cref="DeviceProtocolException"/>.</summary>
public static class JsonAnswer
{
    public const int MaxDepth = 32;

    public static JsonDocument Parse(DeviceAnswer answer, string what)
    {
        if (answer.Status is < 200 or > 299)
        {
            throw new DeviceProtocolException($"{what}: HTTP {answer.Status}");
        }

        try
        {
            return JsonDocument.Parse(answer.Body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new DeviceProtocolException($"{what}: malformed JSON ({e.Message})");
        }
    }
}
