using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Images;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Scale: managed bytes one device costs per μmbox image (a fresh chain instance), so the memory of N devices
/// can be predicted and regressions in element state are caught. Baseline: the `pass` chain.
/// </summary>
public sealed class ChainFootprintSuite : IBenchSuite
{
    private const int Instances = 1_000;

    public string Name => "footprint";

    public string Description => "managed bytes per device per μmbox image (1,000 fresh chain instances each)";

    public void Run(SuiteReport report)
    {
        var umboxes = Path.Combine(RepoPaths.Root, "umboxes");
        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.Combine(umboxes, "rules")));
        var images = ImageCatalog.Load(Path.Combine(umboxes, "images"), compiler, diagnostics);
        var pass = compiler.Compile("pass", SourceSpan.None("bench"), diagnostics)!;
        var baseline = BytesPerInstance(pass);
        report.Add("pass (baseline)", baseline, "B/device");
        foreach (var image in images.All.OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var bytes = BytesPerInstance(image.Chain.Instantiate);
            var parts = string.Join(", ", image.Chain.Specs.Select(s => $"{s.Name} {BytesPerInstance(s.CreateInstance):N0}"));
            report.Add(image.Name, bytes, "B/device", $"{bytes / Math.Max(1, baseline):F0}x pass; {parts}");
        }
    }

    private static double BytesPerInstance(ChainDefinition chain) => BytesPerInstance(chain.Instantiate);

    private static double BytesPerInstance(Func<object> create)
    {
        var keep = new object[Instances];
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        for (int i = 0; i < Instances; i++)
        {
            keep[i] = create();
        }

        var after = GC.GetTotalMemory(true);
        GC.KeepAlive(keep);
        return (after - before) / (double)Instances;
    }
}
