using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace KalkiEdge.TestKit.Mqtt;

/// <summary>One message as a test client received it; <paramref name="At"/> is its <see cref="Stopwatch"/> timestamp on arrival.</summary>
public sealed record ReceivedMessage(string Topic, string Payload, bool Retain, long At = 0, string? ContentType = null)
{
    /// <summary>Newlines in the payload, counted on arrival: the EVE lines of a fleet message.</summary>
    public int LineCount { get; } = Payload.AsSpan().Count('\n');
}

/// <summary>
/// A test's own MQTT client (MQTTnet, MQTT 5, TLS with a client certificate of the test's CA): subscribes, records
/// what arrives in order, and publishes as the user its certificate names (or as a user name with a password).
/// </summary>
public sealed class MqttWatcher : IDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly ConcurrentQueue<ReceivedMessage> _received = new();

    private MqttWatcher()
    {
    }

    public IReadOnlyList<ReceivedMessage> Received => [.. _received];

    /// <summary>Connects as <paramref name="user"/> (a client certificate with that common name) and subscribes to <paramref name="filters"/>.</summary>
    public static MqttWatcher Connect(MosquittoBroker broker, TestPki pki, string user, params string[] filters)
    {
        var (cert, key) = pki.Client(user);
        return Open(Options(broker.Port, user).WithTlsOptions(t => t.UseTls(true).WithTargetHost("127.0.0.1")
            .WithCertificateValidationHandler(_ => true)
            .WithClientCertificates(new X509Certificate2Collection(X509Certificate2.CreateFromPemFile(cert, key)))), filters);
    }

    /// <summary>
    /// Connects to the broker's password listener as <paramref name="user"/> (the broker's certificate checked
    /// against the test CA) and subscribes to <paramref name="filters"/>; a refused sign-in throws.
    /// </summary>
    public static MqttWatcher ConnectWithPassword(MosquittoBroker broker, TestPki pki, string user, string password, params string[] filters) =>
        Open(PasswordOptions(broker, pki, user, password), filters);

    /// <summary>The broker's answer to signing in as <paramref name="user"/> with <paramref name="password"/> (Success, BadUserNameOrPassword, …).</summary>
    public static MqttClientConnectResultCode SignIn(MosquittoBroker broker, TestPki pki, string user, string password)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return client.ConnectAsync(PasswordOptions(broker, pki, user, password).Build(), timeout.Token).GetAwaiter().GetResult().ResultCode;
    }

    private static MqttClientOptionsBuilder PasswordOptions(MosquittoBroker broker, TestPki pki, string user, string password)
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(pki.CaFile);
        return Options(broker.PasswordPort, user).WithCredentials(user, password)
            .WithTlsOptions(t => t.UseTls(true).WithTargetHost("127.0.0.1").WithTrustChain(ca));
    }

    private static MqttClientOptionsBuilder Options(int port, string user) => new MqttClientOptionsBuilder()
        .WithTcpServer("127.0.0.1", port)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId($"test-{user}-{Guid.NewGuid():N}");

    private static MqttWatcher Open(MqttClientOptionsBuilder options, string[] filters)
    {
        var watcher = new MqttWatcher();
        watcher._client.ApplicationMessageReceivedAsync += e =>
        {
            watcher._received.Enqueue(new ReceivedMessage(e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), e.ApplicationMessage.Retain, Stopwatch.GetTimestamp(), e.ApplicationMessage.ContentType));
            return Task.CompletedTask;
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            var result = watcher._client.ConnectAsync(options.Build(), timeout.Token).GetAwaiter().GetResult();
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode}");
            }
        }
        catch
        {
            watcher.Dispose();
            throw;
        }

        foreach (var filter in filters)
        {
            watcher._client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token).GetAwaiter().GetResult();
        }

        return watcher;
    }

    /// <summary>Publishes with QoS 1; the broker's answer (Success, NotAuthorized, …).</summary>
    public MqttClientPublishReasonCode Publish(string topic, byte[] payload)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        return _client.PublishAsync(message, timeout.Token).GetAwaiter().GetResult().ReasonCode;
    }

    public MqttClientPublishReasonCode Publish(string topic, string payload) => Publish(topic, Encoding.UTF8.GetBytes(payload));

    public List<ReceivedMessage> On(string topic) => [.. _received.Where(m => m.Topic == topic)];

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds on what was received; false if it never did.</summary>
    public bool WaitFor(Func<IReadOnlyList<ReceivedMessage>, bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(Received))
        {
            if (clock.Elapsed > limit)
            {
                return false;
            }

            Thread.Sleep(25);
        }

        return true;
    }

    public void Dispose() => _client.Dispose();
}
