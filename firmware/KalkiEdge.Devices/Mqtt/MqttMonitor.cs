using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace KalkiEdge.Devices.Mqtt;

/// <summary>
/// A device that publishes its readings to an MQTT broker: the monitor subscribes to <c>topic</c> (MQTTnet, MQTT 5,
/// the device's credentials as the broker login) and maps each message's JSON fields to pack sensors
/// (<see cref="JsonFields"/>); a command is published to <c>command-topic</c> as <c>{"command": NAME}</c> (QoS 1,
/// acknowledged by the broker within the timeout). It is never polled: a device whose messages stop goes
/// unavailable. A message over <see cref="MaxPayload"/> bytes or with malformed JSON is refused with a status
/// saying so (the broker never sends more than 1 MiB); a lost broker is reconnected with back-off up to 30 s.
/// With <c>ca:</c> (or <c>tls: true</c>) the broker is reached over TLS: its certificate must be issued for
/// <c>server-name</c> (default: the broker's address) and chain to that CA file, the site's own (or, without
/// <c>ca</c>, to the system's trust store); a refused broker is a status saying which check failed. A client
/// certificate (<c>certificate</c> and <c>key</c>, PEM) is presented when given.
/// </summary>
public sealed class MqttMonitor : DeviceMonitor, IDisposable
{
    public const string Family = "mqtt";
    public const int MaxPayload = 64 * 1024;
    private const int MaxPacket = 1 << 20;

    private readonly IPAddress _broker;
    private readonly int _brokerPort;
    private readonly string _topic;
    private readonly string? _commandTopic;
    private readonly JsonFields _fields;
    private readonly IMqttClient _client;
    private readonly MqttTls? _tls;
    private volatile string? _tlsRefusal;

    private MqttMonitor(MonitorTarget target, IPAddress broker, int brokerPort, string topic, string? commandTopic, IReadOnlyList<string> commands, JsonFields fields, MqttTls? tls)
        : base(target)
    {
        _tls = tls;
        _broker = broker;
        _brokerPort = brokerPort;
        _topic = topic;
        _commandTopic = commandTopic;
        _fields = fields;
        Commands = commands;
        Produces = fields.Produces;
        _client = new MqttClientFactory().CreateMqttClient();
    }

    public override IReadOnlyList<SensorOutput> Produces { get; }

    public override IReadOnlyList<string> Commands { get; }

    public override bool Polls => false;

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target)
    {
        IPAddress? broker = null;
        if (args.Required("broker", "IP address of the MQTT broker") is { } b)
        {
            if (args.ScalarText(b) is { } text && IPAddress.TryParse(text, out var ip))
            {
                broker = ip;
            }
            else
            {
                args.Error(b.At, $"'{Printable.Escape(b.ToString())}' is not an IP address (brokers are reached by address)");
            }
        }

        var port = (int)args.Int("broker-port", 1883, 1, 65535);
        var topic = Topic(args, args.Required("topic", "MQTT topic the device publishes to"), wildcards: true);
        var commandTopic = args.Node("command-topic", "MQTT topic commands are published to") is { } ct ? Topic(args, ct, wildcards: false) : null;
        var commands = new List<string>();
        if (args.Node("commands", "list of command names") is { } list)
        {
            if (list.Kind != ArgKind.List)
            {
                args.Error(list.At, "'commands' is a list of command names, like [turn-off, turn-on]");
            }
            else
            {
                commands.AddRange(list.Items.Select(i => args.ScalarText(i)).OfType<string>());
                if (commandTopic is null && commands.Count > 0)
                {
                    args.Error(list.At, "commands need a 'command-topic' to be published to");
                }
            }
        }

        var fields = JsonFields.Compile(args, target);
        var tls = MqttTls.Compile(args, broker, out var tlsOk);
        if (broker is null || topic is null || fields is null || !tlsOk)
        {
            tls?.Dispose();
            return null;
        }

        return new MqttMonitor(target, broker, port, topic, commandTopic, commands, fields, tls);
    }

    /// <summary>Readings of one message, or the reason it is refused (too big, not JSON, a field missing or mistyped).</summary>
    public IReadOnlyList<Reading> Parse(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new DeviceProtocolException($"{_topic}: message of {payload.Length} bytes is over the {MaxPayload}-byte limit");
        }

        try
        {
            using var doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = JsonAnswer.MaxDepth });
            return _fields.Read(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new DeviceProtocolException($"{_topic}: malformed JSON ({e.Message})");
        }
    }

    public override Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token) =>
        throw new DeviceProtocolException("an MQTT device is not polled: it publishes");

    public override async Task RunAsync(IPushSink sink, CancellationToken stop)
    {
        _client.ApplicationMessageReceivedAsync += e =>
        {
            try
            {
                sink.Deliver(Parse(e.ApplicationMessage.Payload));
            }
            catch (DeviceProtocolException p)
            {
                sink.Reject(p.Message);
            }

            return Task.CompletedTask;
        };
        var backoff = TimeSpan.FromSeconds(1);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!_client.IsConnected)
                {
                    try
                    {
                        await Connect(sink.LocalAddress, stop).ConfigureAwait(false);
                        backoff = TimeSpan.FromSeconds(1);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                    {
                        sink.Reject($"broker {_broker}:{_brokerPort}: {(_tlsRefusal is { } refusal ? "TLS refused: " + refusal : Reason(e))}");
                        await Task.Delay(backoff, stop).ConfigureAwait(false);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                        continue;
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), stop).ConfigureAwait(false);
            }
        }
        finally
        {
            await DisconnectQuietly().ConfigureAwait(false);
        }
    }

    public override async Task SendAsync(DeviceHttp http, string command, CancellationToken token)
    {
        if (_commandTopic is null || !Commands.Contains(command))
        {
            throw Unsupported(Family, command);
        }

        if (!_client.IsConnected)
        {
            throw new DeviceProtocolException($"not connected to the broker {_broker}:{_brokerPort}");
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_commandTopic)
            .WithPayload(Encoding.UTF8.GetBytes($"{{\"command\":\"{JsonEncodedText.Encode(command)}\"}}"))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .Build();
        var result = await _client.PublishAsync(message, token).ConfigureAwait(false);
        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw new DeviceProtocolException($"the broker refused the command on {_commandTopic}: {result.ReasonCode}");
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _tls?.Dispose();
    }

    /// <summary>Connects (from <paramref name="local"/>, the device-side address, when given) and subscribes.</summary>
    private async Task Connect(IPAddress? local, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(Target.Timeout);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.ToString(), _brokerPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"kalki-edge-monitor-{Target.Device}")
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(Target.Timeout)
            .WithMaximumPacketSize(MaxPacket);
        if (Target.User is { } user)
        {
            options.WithCredentials(user, Target.Password);
        }

        if (_tls is { } tls)
        {
            _tlsRefusal = null;
            options.WithTlsOptions(o =>
            {
                o.UseTls(true)
                    .WithTargetHost(tls.ServerName)
                    .WithCertificateValidationHandler(a =>
                    {
                        _tlsRefusal = tls.Trust.Refusal(a.Certificate, a.SslPolicyErrors, tls.ServerName);
                        return _tlsRefusal is null;
                    });
                if (tls.ClientCertificate is { } certificate)
                {
                    o.WithClientCertificates(new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(certificate));
                }
            });
        }

        var built = options.Build();
        if (local is not null && built.ChannelOptions is MqttClientTcpOptions tcp)
        {
            tcp.LocalEndpoint = new IPEndPoint(local, 0);
        }

        var connected = await _client.ConnectAsync(built, timeout.Token).ConfigureAwait(false);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new DeviceProtocolException($"connection refused: {connected.ResultCode}");
        }

        var subscribed = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token).ConfigureAwait(false);
        if (subscribed.Items.Any(i => (int)i.ResultCode > (int)MqttClientSubscribeResultCode.GrantedQoS2))
        {
            throw new DeviceProtocolException($"subscription to {_topic} refused: {subscribed.Items.First().ResultCode}");
        }
    }

    private async Task DisconnectQuietly()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // stopping: whatever the broker does now changes nothing
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static string Reason(Exception e) => e switch
    {
        DeviceProtocolException p => p.Message,
        OperationCanceledException => "no answer within the timeout",
        // Anything else from MQTTnet while connecting is the broker's refusal (its CONNACK reason is in the message).
        _ => e.InnerException is System.Net.Sockets.SocketException s ? $"connection failed: {s.SocketErrorCode}"
            : $"connection refused: {(e.Message.Length <= 200 ? e.Message : e.Message[..200])}",
    };

    private static string? Topic(ElementArgs args, ArgNode? node, bool wildcards)
    {
        if (node is null)
        {
            return null;
        }

        var text = args.ScalarText(node);
        if (text is not { Length: > 0 and <= 256 } || text.Any(c => c < ' ' || c == '\u007f') || (!wildcards && (text.Contains('+', StringComparison.Ordinal) || text.Contains('#', StringComparison.Ordinal))))
        {
            args.Error(node.At, $"'{Printable.Escape(node.ToString())}' is not an MQTT topic (1–256 printable characters{(wildcards ? "" : ", no wildcards")})");
            return null;
        }

        return text;
    }
}
