using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.UnitTests.Support;

/// <summary>Collects alerts raised during a test.</summary>
public sealed class RecordingAlertSink : IAlertSink
{
    public List<Alert> Alerts { get; } = [];

    public void Raise(Alert alert) => Alerts.Add(alert);

    public IEnumerable<Alert> OfType(string type) => Alerts.Where(a => a.Type == type);
}

/// <summary>
/// Runs frames through a chain compiled from chain-language text, exactly as the engine does, for one device.
/// Rule files are read from umboxes/rules of this repository unless another directory is given.
/// </summary>
public sealed class ChainHarness
{
    private readonly Frame _frame = new();
    private long _number;

    public ChainHarness(string chainText, string? resourceDir = null, string device = "dev1", string mac = Frames.DeviceMac)
        : this(new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(resourceDir ?? RepoPaths.Rules)), chainText, device, mac)
    {
    }

    /// <summary>A device of the appliance <paramref name="compiler"/> belongs to (devices of one compiler share appliance-wide state).</summary>
    public ChainHarness(ChainCompiler compiler, string chainText, string device = "dev1", string mac = Frames.DeviceMac)
    {
        var diagnostics = new DiagnosticBag();
        var definition = compiler.Compile(chainText, new SourceSpan("test", 1, 1), diagnostics)
            ?? throw new ConfigurationException(diagnostics.Items);
        Chain = definition.Instantiate();
        if (!Mac.TryParse(mac, out var macValue))
        {
            throw new ArgumentException($"bad MAC {mac}", nameof(mac));
        }

        Device = new DeviceSlot(device, macValue, []);
        Context = new ElementContext(Sink) { Device = Device };
    }

    public RecordingAlertSink Sink { get; } = new();

    public ElementContext Context { get; }

    public Chain Chain { get; }

    public DeviceSlot Device { get; }

    /// <summary>Frame-time clock in microseconds; advance it to simulate time passing.</summary>
    public long NowMicros { get; set; } = 1_700_000_000_000_000;

    public Verdict Run(byte[] bytes, Direction direction = Direction.ToDevice)
    {
        _frame.Load(bytes, NowMicros, direction);
        _frame.Number = ++_number;
        return Chain.Process(_frame, Context);
    }

    /// <summary>Asserts that compiling <paramref name="chainText"/> reports an error containing <paramref name="message"/>.</summary>
    public static void AssertRejects(string chainText, string message)
    {
        var errors = Errors(chainText);
        Assert.That(errors.Select(e => e.Message), Has.Some.Contains(message), string.Join("\n", errors));
    }

    /// <summary>Compiles text and returns the errors (empty when valid).</summary>
    public static IReadOnlyList<Diagnostic> Errors(string chainText, string? resourceDir = null)
    {
        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(resourceDir ?? RepoPaths.Rules));
        compiler.Compile(chainText, new SourceSpan("test", 1, 1), diagnostics);
        return diagnostics.Items;
    }
}
