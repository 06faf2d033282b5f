using System.Collections.Concurrent;
using System.Diagnostics;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Fleet;
using KalkiEdge.Store;
using KalkiEdge.TestKit.Mqtt;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.UnitTests.Export.Fleet;

/// <summary>
/// One fleet test's world: a test CA, a real Mosquitto with the fleet's ACL (<see cref="MosquittoBroker.FleetAcl"/>;
/// bob is not on the appliance's allow-list), a real store file for the outbox, and publishers made against them.
/// </summary>
internal sealed class FleetFixture : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public FleetFixture()
    {
        Dir = new TempDir("kalki-fleet-");
        Pki = new TestPki(Dir.Path);
        Broker = new MosquittoBroker(Dir.Path, Pki, MosquittoBroker.FleetAcl);
        StorePath = Dir.File("kalki-edge.db");
        KalkiStore.Open(StorePath).Dispose(); // migrated: the outbox table exists
        (CertFile, KeyFile) = Pki.Client("gw-a");
    }

    public TempDir Dir { get; }

    public TestPki Pki { get; }

    public MosquittoBroker Broker { get; }

    public string StorePath { get; }

    public string CertFile { get; }

    public string KeyFile { get; }

    public RecordingOperations Operations { get; } = new();

    public RecordingLogger Log { get; } = new();

    public FleetSettings Settings(string applianceId = "gw-a") => new("127.0.0.1", Broker.Port, applianceId)
    {
        TopicRoot = "fleet",
        CaFile = Pki.CaFile,
        CertificateFile = CertFile,
        KeyFile = KeyFile,
        Operators = ["alice"],
        SummaryInterval = TimeSpan.FromSeconds(1),
    };

    public FleetPublisher Publisher(FleetSettings settings, int? queueLimit = null, TimeSpan? idleWait = null) =>
        new(settings, FleetOutbox.Open(StorePath, queueLimit ?? settings.QueueLimit), Operations, Log, null, idleWait ?? FleetPublisher.IdleWait);

    public MqttWatcher Watch(string user, params string[] filters)
    {
        var watcher = MqttWatcher.Connect(Broker, Pki, user, filters);
        _owned.Add(watcher);
        return watcher;
    }

    /// <summary>Rows in the outbox table, read from the file by a connection of the test's own.</summary>
    public long RowsOnDisk()
    {
        using var store = KalkiStore.Open(StorePath);
        return store.Count("fleet_outbox");
    }

    /// <summary>Events in the outbox table (a row holds one or more newline-ended EVE lines), read by a connection of the test's own.</summary>
    public long EventsOnDisk()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={StorePath};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT payload FROM fleet_outbox";
        using var r = cmd.ExecuteReader();
        long events = 0;
        while (r.Read())
        {
            events += Math.Max(1, ((byte[])r.GetValue(0)).AsSpan().Count((byte)'\n'));
        }

        return events;
    }

    public static AlertEvent Alert(int n) =>
        new(new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, 1_796_413_579_000_000 + n, $"scan number {n}") { Count = n }, new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious"));

    public static void WaitFor(Func<bool> condition, string what, int seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(seconds)), $"{what}: not within {seconds} s");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Broker.Dispose();
        Pki.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Dir.Dispose();
    }
}

/// <summary>The appliance side of commands, recorded (the real one is exercised through `kalki-edge run` in the replay tests).</summary>
internal sealed class RecordingOperations : IFleetOperations
{
    public ConcurrentQueue<string> Done { get; } = new();

    public ConcurrentQueue<string> Audited { get; } = new();

    public IReadOnlyList<FleetDevice> Devices() => [new FleetDevice("cam", "dlink-camera", "Suspicious", "camera-suspicious", false, 10, 2, 0)];

    public string? Reset(string device, string actor, string? reason)
    {
        if (device != "cam")
        {
            return $"no device named '{device}'";
        }

        Done.Enqueue($"reset {device} by {actor}: {reason}");
        return null;
    }

    public string? OpenPairing(string actor)
    {
        Done.Enqueue($"pair by {actor}");
        return null;
    }

    public void Audit(string actor, string action, string detail) => Audited.Enqueue($"{actor} | {action} | {detail}");
}

/// <summary>Log lines, formatted, in order.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}
