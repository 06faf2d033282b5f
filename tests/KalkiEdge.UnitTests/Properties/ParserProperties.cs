using FsCheck;
using FsCheck.Fluent;
using KalkiEdge.Appliance.Config;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;
using KalkiEdge.Umboxes.Ips;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>
/// The configuration and rule parsers on hostile edits of the repository's own files: every outcome is a result or
/// errors that each say where (file, line ≥ 1, column ≥ 1) and what; none is an exception. And the address and
/// duration forms the parsers accept round-trip through their canonical text.
/// </summary>
public class ParserProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    private static readonly ChainCompiler Compiler = new(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules));

    [Test]
    public void A_site_config_is_loaded_or_refused_with_positioned_errors_never_an_exception()
    {
        var seeds = HostileText.Files(Path.Combine(RepoPaths.Root, "firmware", "KalkiEdge.Host", "profiles"), "*.yaml");
        Prop.ForAll(HostileText.From(seeds), text =>
        {
            var diagnostics = new DiagnosticBag();
            const string path = "/etc/kalki-edge/kalki.yaml";
            var config = YamlArgs.Parse(text, path, diagnostics) is { } root ? SiteConfigLoader.FromNode(root, path, diagnostics) : null;
            return Positioned(diagnostics, path) && (config is not null || diagnostics.HasErrors);
        }).Check(Runs);
    }

    [Test]
    public void A_pack_is_loaded_or_refused_with_positioned_errors_never_an_exception()
    {
        var seeds = HostileText.Files(Path.Combine(RepoPaths.Umboxes, "packs"), "*.yaml");
        Prop.ForAll(HostileText.From(seeds), text =>
        {
            var diagnostics = new DiagnosticBag();
            var pack = PackLoader.Load("hostile.yaml", text, diagnostics);
            return Positioned(diagnostics, "hostile.yaml") && (pack is not null || diagnostics.HasErrors);
        }).Check(Runs);
    }

    [Test]
    public void A_rule_file_gives_rules_or_positioned_errors_never_an_exception()
    {
        var seeds = HostileText.Files(RepoPaths.Rules, "*.rules");
        Prop.ForAll(HostileText.From(seeds), text =>
        {
            var diagnostics = new DiagnosticBag();
            _ = new RuleParser(new RuleVariables()).ParseFile("hostile.rules", text, diagnostics);
            return Positioned(diagnostics, "hostile.rules");
        }).Check(Runs);
    }

    [Test]
    public void A_chain_compiles_or_is_refused_with_positioned_errors_never_an_exception()
    {
        var seeds = HostileText.Files(Path.Combine(RepoPaths.Umboxes, "images"), "*.yaml")
            .Select(text => text[(text.IndexOf("chain:", StringComparison.Ordinal) + 6)..].Trim(' ', '|', '\n'))
            .ToList();
        Prop.ForAll(HostileText.From(seeds), text =>
        {
            var diagnostics = new DiagnosticBag();
            var chain = Compiler.Compile(text, new SourceSpan("hostile-image", 1, 1), diagnostics);
            return Positioned(diagnostics, "hostile-image") && (chain is not null ^ diagnostics.HasErrors);
        }).Check(Runs);
    }

    [Test]
    public void Every_mac_address_round_trips_through_its_canonical_text()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, 0xFFFFFF).Two()), halves =>
        {
            ulong mac = ((ulong)halves.Item1 << 24) | (uint)halves.Item2;
            var text = Mac.Format(mac);
            return Mac.TryParse(text, out var back) && back == mac && Mac.TryParse(text.ToUpperInvariant().Replace(':', '-'), out var dashed) && dashed == mac;
        }).Check(Runs);
    }

    [Test]
    public void Every_ip_address_round_trips_through_its_canonical_text()
    {
        var v4 = Gen.Choose(int.MinValue, int.MaxValue).Select(x => (UInt128)0xFFFF_0000_0000UL | (uint)x);
        var v6 = Gen.Choose(int.MinValue, int.MaxValue).Four().Select(p =>
            new UInt128(((ulong)(uint)p.Item1 << 32) | (uint)p.Item2, ((ulong)(uint)p.Item3 << 32) | (uint)p.Item4))
            .Where(ip => ip >> 32 != 0xFFFF);
        Prop.ForAll(Arb.From(Gen.OneOf(v4, v6)), ip => Ip.TryParse(Ip.Format(ip), out var back) && back == ip).Check(Runs);
    }

    [Test]
    public void Every_duration_up_to_the_limit_round_trips_and_longer_ones_are_refused_with_a_reason()
    {
        var micros = Gen.Choose(0, int.MaxValue).Two().Select(p => ((long)p.Item1 << 31 | (uint)p.Item2) % (Duration.MaxMicros + 1));
        Prop.ForAll(Arb.From(micros), us =>
            Duration.TryParseMicros(Duration.Format(us), out var back, out _) && back == us
            && !Duration.TryParseMicros(Duration.Format(Duration.MaxMicros + 1 + us), out _, out var error) && error.Length > 0).Check(Runs);
    }

    /// <summary>Every error names the file, a line and a column, and says something.</summary>
    private static bool Positioned(DiagnosticBag diagnostics, string file) =>
        diagnostics.Items.All(d => d.File.Contains(Path.GetFileName(file), StringComparison.Ordinal) && d.Line >= 1 && d.Column >= 1 && d.Message.Length > 0);
}
