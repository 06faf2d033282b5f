using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Core;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.Panel;

namespace KalkiEdge.Host.Commands;

/// <summary>kalki-edge replay: a capture through the same engine as live, as fast as it goes.</summary>
internal static class ReplayCommand
{
    public static int Execute(CommandLine cl)
    {
        var pcap = cl.Option("--pcap");
        if (pcap is null)
        {
            Console.Error.WriteLine("kalki-edge replay: --pcap FILE is required");
            return ExitCodes.Usage;
        }

        if (cl.Flag("--json") && cl.Flag("--eve"))
        {
            Console.Error.WriteLine("kalki-edge replay: --json and --eve are two output formats: choose one");
            return ExitCodes.Usage;
        }

        if (cl.Option("--write") is { } target && PosixFileStatus.SameFile(target, pcap))
        {
            Console.Error.WriteLine($"kalki-edge replay: --write {target} is the capture being read (--pcap {pcap}); refusing to overwrite it");
            return ExitCodes.Usage;
        }

        ReplayPairing? pairing = null;
        if (cl.Option("--pair-window") is { } window && (pairing = ReplayPairing.Parse(window, cl.Option("--network-mac"), out var pairError)) is null)
        {
            Console.Error.WriteLine($"kalki-edge replay: {pairError}");
            return ExitCodes.Usage;
        }

        var json = new JsonLinesObserver(Console.Out);
        using var stdout = Console.OpenStandardOutput();
        var eve = new EventHub().Add(new EveStreamSink(stdout));
        var console = new ConsoleObserver(Console.Out);
        IApplianceObserver observer = cl.Flag("--json") ? json : cl.Flag("--eve") ? eve : console;
        using var appliance = ApplianceLoader.Load(cl.Option("--config"), observer, cl.Flag("--persist"));
        if (appliance is null)
        {
            return ExitCodes.Invalid;
        }

        eve.Bind(appliance.Control.Devices, appliance.Engine.Devices);

        try
        {
            using var source = new PcapFileSource(pcap);
            using var output = cl.Option("--write") is { } w ? new PcapFileSink(w) : null;
            using var assurance = ApplianceAssurance.Start(appliance, output, Console.Error);
            if (assurance is null)
            {
                return ExitCodes.Invalid;
            }

            if (pairing is not null)
            {
                var panel = PanelSettings.Read(appliance.Config.Sections, new DiagnosticBag()); // errors: reported by check and load
                var settings = panel.Pairing;
                var mud = panel.Mud.Folder is null && !panel.Mud.Fetch ? null : new KalkiEdge.Panel.Mud.MudSource(panel.Mud);
                var paired = appliance.EnablePairing(pairing.Length is { } length ? settings with { Window = length } : settings, mud, Console.Error.WriteLine, resolveMudInline: true);
                // With --eve, pairing results are EVE events (kalki_pairing) like the rest of stdout.
                if (cl.Flag("--eve"))
                {
                    paired.Paired += result => eve.OnPaired(result, appliance.Clock.NowMicros);
                }
                else
                {
                    paired.Paired += cl.Flag("--json") ? json.OnPaired : console.OnPaired;
                }
            }

            var runner = new ReplayRunner(appliance, observer) { Output = output, Signing = assurance.Signing, Pairing = pairing, Threads = appliance.EngineThreads };
            var result = runner.Run(source);
            output?.Complete(); // a write error fails the run before its summary claims anything
            if (cl.Flag("--json"))
            {
                json.Summary(result, appliance.Engine, EdgeAppliance.StateOf);
            }
            else if (cl.Flag("--eve"))
            {
                // Every stdout line is an EVE event; the totals go to stderr.
                Console.Error.WriteLine($"{result.Frames} frames: {result.Forwarded} forwarded, {result.Dropped} dropped, {result.Replied} replied, {result.Malformed} malformed");
            }
            else
            {
                Console.WriteLine($"{result.Frames} frames: {result.Forwarded} forwarded, {result.Dropped} dropped, {result.Replied} replied, {result.Malformed} malformed in {result.Elapsed.TotalMilliseconds:F1} ms");
            }

            if (result.Stopped is { } stopped)
            {
                Console.Error.WriteLine($"kalki-edge replay: {stopped}; the counts above cover the {result.Frames} frames read before it");
                return ExitCodes.Invalid;
            }

            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is FrameSourceException or FrameSinkException)
        {
            Console.Error.WriteLine($"kalki-edge replay: {e.Message}");
            return ExitCodes.Invalid;
        }
    }
}
