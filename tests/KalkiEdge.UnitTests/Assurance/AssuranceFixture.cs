using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;
using KalkiEdge.Umboxes;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>A private directory per test (emulated shim key, rule files, manifests) and helpers to compile images from it.</summary>
public abstract class AssuranceFixture
{
    private DirectoryInfo? _directory;
    private HypervisorShim? _shim;

    protected string Dir => _directory?.FullName ?? throw new InvalidOperationException("SetUp has not run.");

    protected string RulesDir => Path.Combine(Dir, "rules");

    /// <summary>The emulated shim with a per-test key file (opened on first use).</summary>
    protected HypervisorShim Shim => _shim ??= HypervisorShim.Open(new HypervisorShimOptions
    {
        Backend = HypervisorBackendRequest.Emulated,
        KeyPath = Path.Combine(Dir, "state", "hypervisor.key"),
    });

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Directory.CreateTempSubdirectory("kalki-assurance-");
        Directory.CreateDirectory(RulesDir);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        _shim?.Dispose();
        _shim = null;
        _directory?.Delete(recursive: true);
    }

    protected void WriteRules(string name, string text) => File.WriteAllText(Path.Combine(RulesDir, name), text);

    /// <summary>Compiles chain text as image <paramref name="image"/>, loading files from the test's rules directory.</summary>
    protected ChainDefinition Compile(string text, string? image = "camera-normal")
    {
        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RulesDir));
        return compiler.Compile(text, new SourceSpan("test", 1, 1), diagnostics, image) ?? throw new ConfigurationException(diagnostics.Items);
    }

    protected const string CameraRules =
        "alert tcp any any -> any 80 (msg:\"CAMERA probe\"; flow:to_server,established; content:\"/config/getuser\"; sid:2000001; rev:1;)\n";

    protected const string CameraChain = "firewall(default: allow) -> ips(rules: camera.rules)";
}
