using System.Buffers;
using System.Text.Json;

namespace KalkiEdge.Export.Fleet;

/// <summary>A reply to one command, for the operator's reply topic.</summary>
public sealed record FleetReply(string Operator, byte[] Payload, byte[]? CorrelationData);

/// <summary>
/// Commands from the fleet's operators, judged before anything is done: the operator named by the topic (which the
/// broker's ACL vouches for) must be on this appliance's allow-list, the payload at most <see cref="MaxBytes"/>
/// bytes of JSON — <c>{"id":"c-1","action":"reset","device":"cam","reason":"patched"}</c> or
/// <c>{"id":"c-2","action":"pair"}</c> — with no other fields, and commands at most <see cref="Burst"/> at once and
/// <see cref="PerSecond"/> a second after that. Every refusal gets a reply with the reason (except under a flood,
/// where refused commands are only counted); accepted and refused commands are audited with the operator's identity.
/// </summary>
public sealed class FleetCommands(FleetSettings settings, FleetTopics topics, IFleetOperations operations, TimeProvider time)
{
    public const int MaxBytes = 4096;
    public const int Burst = 20;
    public const int PerSecond = 5;
    private const int MaxIdChars = 64;

    private double _tokens = Burst;
    private long _refilledAt = time.GetTimestamp();

    public long Accepted { get; private set; }

    public long Refused { get; private set; }

    /// <summary>Commands dropped without an answer because they came faster than the rate allows.</summary>
    public long RateLimited { get; private set; }

    /// <summary>The last refusal, for the log.</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>Judges and carries out one message from the command topic; the reply, or null when none is due.</summary>
    public FleetReply? Handle(string topic, ReadOnlySequence<byte> payload, byte[]? correlation)
    {
        if (!TakeToken())
        {
            RateLimited++;
            return null;
        }

        if (topics.OperatorOf(topic) is not { } op)
        {
            return Refuse(null, null, $"'{Printable(topic)}' is not a command topic of this appliance", correlation);
        }

        if (!settings.Operators.Contains(op, StringComparer.Ordinal))
        {
            return Refuse(op, null, $"operator '{Printable(op)}' is not allowed to command this appliance", correlation);
        }

        if (payload.Length > MaxBytes)
        {
            return Refuse(op, null, $"a command is at most {MaxBytes} bytes, got {payload.Length}", correlation);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            return Refuse(op, null, $"not JSON: {e.Message}", correlation);
        }

        using (document)
        {
            return Execute(op, document.RootElement, correlation);
        }
    }

    private FleetReply? Execute(string op, JsonElement command, byte[]? correlation)
    {
        if (command.ValueKind != JsonValueKind.Object)
        {
            return Refuse(op, null, "a command is a JSON object like {\"action\":\"reset\",\"device\":\"NAME\"}", correlation);
        }

        string? id = null, action = null, device = null, reason = null;
        foreach (var field in command.EnumerateObject())
        {
            if (field.Value.ValueKind != JsonValueKind.String)
            {
                return Refuse(op, id, $"'{Printable(field.Name)}' must be a string", correlation);
            }

            var value = field.Value.GetString()!;
            switch (field.Name)
            {
                case "id": id = value; break;
                case "action": action = value; break;
                case "device": device = value; break;
                case "reason": reason = value; break;
                default: return Refuse(op, id, $"unknown field '{Printable(field.Name)}' (fields: id, action, device, reason)", correlation);
            }
        }

        if (id is { Length: > MaxIdChars } || (id?.Any(char.IsControl) ?? false))
        {
            return Refuse(op, null, $"'id' must be at most {MaxIdChars} printable characters", correlation);
        }

        var actor = $"operator {op} via mqtt";
        string? refusal;
        switch (action)
        {
            case "reset" when device is null:
                return Refuse(op, id, "'reset' needs 'device'", correlation);
            case "reset":
                refusal = operations.Reset(device, actor, reason);
                break;
            case "pair" when device is not null || reason is not null:
                return Refuse(op, id, "'pair' takes no 'device' or 'reason'", correlation);
            case "pair":
                refusal = operations.OpenPairing(actor);
                break;
            case null:
                return Refuse(op, id, "'action' is required: reset or pair", correlation);
            default:
                return Refuse(op, id, $"unknown action '{Printable(action)}' (actions: reset, pair)", correlation);
        }

        if (refusal is not null)
        {
            return Refuse(op, id, refusal, correlation);
        }

        Accepted++;
        return Reply(op, id, action, null, correlation);
    }

    private FleetReply? Refuse(string? op, string? id, string reason, byte[]? correlation)
    {
        Refused++;
        LastRefusal = op is null ? reason : $"{op}: {reason}";
        operations.Audit(op is null ? "mqtt" : $"operator {op} via mqtt", "fleet-command-refused", reason);

        return op is null ? null : Reply(op, id, null, reason, correlation);
    }

    private static FleetReply Reply(string op, string? id, string? action, string? error, byte[]? correlation)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (id is not null)
            {
                w.WriteString("id", id);
            }

            w.WriteBoolean("ok", error is null);
            if (action is not null)
            {
                w.WriteString("action", action);
            }

            if (error is not null)
            {
                w.WriteString("error", error);
            }

            w.WriteEndObject();
        }

        return new FleetReply(op, buffer.WrittenSpan.ToArray(), correlation is { Length: <= MaxIdChars } ? correlation : null);
    }

    private bool TakeToken()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(Burst, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * PerSecond));
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>Text from the broker, made safe for a log line and bounded.</summary>
    private static string Printable(string text)
    {
        var cut = text.Length > 80 ? text[..80] + "…" : text;
        return string.Create(cut.Length, cut, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
