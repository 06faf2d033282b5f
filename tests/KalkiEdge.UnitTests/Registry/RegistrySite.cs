using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Registry;

/// <summary>A site on the repository's umboxes with one kalki.yaml device, its store in a temp directory; frames through the real engine.</summary>
internal sealed class RegistrySite : IDisposable
{
    public const string ConfigCameraMac = "02:00:00:00:07:01";
    public const string ConfigCameraIp = "192.0.2.71";

    private readonly Frame _frame = new();

    public RegistrySite(string dir, string extraDevices = "", bool persist = true)
    {
        Dir = dir;
        ConfigPath = Path.Combine(dir, "kalki.yaml");
        WriteConfig(extraDevices);
        Appliance = Build(persist);
        Context = Appliance.CreateContext();
    }

    public string Dir { get; }

    public string ConfigPath { get; }

    public KalkiEdge.Appliance.EdgeAppliance Appliance { get; private set; }

    public ElementContext Context { get; private set; }

    public void WriteConfig(string extraDevices) =>
        File.WriteAllText(ConfigPath, $"umboxes: {RepoPaths.Umboxes}\ndata-dir: {Path.Combine(Dir, "data")}\nunknown-devices: drop\ndevices:\n" +
            $"  - {{name: cam1, mac: \"{ConfigCameraMac}\", ip: {ConfigCameraIp}, type: dlink-camera}}\n" + extraDevices);

    /// <summary>Stops this appliance (store flushed and closed) and starts a new one from the same files.</summary>
    public void Restart(bool persist = true)
    {
        Appliance.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Appliance = Build(persist);
        Context = Appliance.CreateContext();
    }

    /// <summary>One UDP frame from <paramref name="mac"/> through the engine (at 1 s, or <paramref name="atMicros"/>); the verdict.</summary>
    public Verdict FromDevice(string mac, string ip, long atMicros = 1_000_000)
    {
        _frame.Load(Frames.Udp(ip, 5000, Frames.CloudIp, 53, "q", mac, Frames.GatewayMac), atMicros, Direction.FromDevice);
        Appliance.BeginFrame(atMicros);
        var verdict = Appliance.Engine.Process(_frame, Context);
        Appliance.EndFrame();
        return verdict;
    }

    public static ulong MacOf(string text) => Mac.TryParse(text, out var mac) ? mac : throw new ArgumentException(text);

    public void Dispose()
    {
        Appliance.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private KalkiEdge.Appliance.EdgeAppliance Build(bool persist)
    {
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(ConfigPath, diagnostics);
        var appliance = config is null ? null : KalkiEdge.Appliance.EdgeAppliance.Build(config, diagnostics, new KalkiEdge.Appliance.Output.ConsoleObserver(TextWriter.Null), persist);
        Assert.That(appliance, Is.Not.Null, diagnostics.ToString());
        return appliance!;
    }
}
