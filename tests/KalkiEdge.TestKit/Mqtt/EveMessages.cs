using System.Text.Json;

namespace KalkiEdge.TestKit.Mqtt;

/// <summary>
/// Reads the fleet's EVE topics as a consumer must: a message carries one or more EVE JSON lines, each ended by a
/// newline (batched under load), so a consumer splits on newlines and parses each line.
/// </summary>
public static class EveMessages
{
    /// <summary>The EVE objects of the messages on <paramref name="topic"/>, in arrival order; a message not made of newline-ended lines fails.</summary>
    public static List<JsonElement> Events(this IEnumerable<ReceivedMessage> messages, string topic) =>
        [.. messages.Where(m => m.Topic == topic).SelectMany(Lines)];

    /// <summary>The EVE objects of one message.</summary>
    public static IEnumerable<JsonElement> Lines(ReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Payload.EndsWith('\n'))
        {
            throw new FormatException($"a message on {message.Topic} does not end with a newline: {message.Payload}");
        }

        return message.Payload.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone());
    }
}
