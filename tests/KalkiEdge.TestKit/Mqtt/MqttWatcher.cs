using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace KalkiEdge.TestKit.Mqtt;

/// <summary>One message as a test client received it.</summary>
public sealed record ReceivedMessage(string Topic, string Payload, bool Retain);

/// <summary>
/// A test's own MQTT client (MQTTnet, MQTT 5, TLS with a client certificate of the test's CA): subscribes, records
/// what arrives in order, and publishes as the user its certificate names.
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
        var watcher = new MqttWatcher();
        var (cert, key) = pki.Client(user);
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(pki.CaFile);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"test-{user}-{Guid.NewGuid():N}")
            .WithTlsOptions(t => t.UseTls(true).WithTargetHost("127.0.0.1").WithTrustChain(ca)
                .WithCertificateValidationHandler(_ => true)
                .WithClientCertificates(new X509Certificate2Collection(X509Certificate2.CreateFromPemFile(cert, key))))
            .Build();
        watcher._client.ApplicationMessageReceivedAsync += e =>
        {
            watcher._received.Enqueue(new ReceivedMessage(e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), e.ApplicationMessage.Retain));
            return Task.CompletedTask;
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        watcher._client.ConnectAsync(options, timeout.Token).GetAwaiter().GetResult();
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
