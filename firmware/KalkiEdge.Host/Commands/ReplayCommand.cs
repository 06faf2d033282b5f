using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Core;
using KalkiEdge.DataPlane.Io;

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

        var json = new JsonLinesObserver(Console.Out);
        IApplianceObserver observer = cl.Flag("--json") ? json : new ConsoleObserver(Console.Out);
        using var appliance = ApplianceLoader.Load(cl.Option("--config"), observer, cl.Flag("--persist"));
        if (appliance is null)
        {
            return ExitCodes.Invalid;
        }

        try
        {
            using var source = new PcapFileSource(pcap);
            using var output = cl.Option("--write") is { } w ? new PcapFileSink(w) : null;
            using var assurance = ApplianceAssurance.Start(appliance, output, Console.Error);
            if (assurance is null)
            {
                return ExitCodes.Invalid;
            }

            var runner = new ReplayRunner(appliance, observer) { Output = output, Signing = assurance.Signing };
            var result = runner.Run(source);
            if (cl.Flag("--json"))
            {
                json.Summary(result, appliance.Engine, EdgeAppliance.StateOf);
            }
            else
            {
                Console.WriteLine($"{result.Frames} frames: {result.Forwarded} forwarded, {result.Dropped} dropped, {result.Replied} replied, {result.Malformed} malformed in {result.Elapsed.TotalMilliseconds:F1} ms");
            }

            return ExitCodes.Ok;
        }
        catch (FrameSourceException e)
        {
            Console.Error.WriteLine($"kalki-edge replay: {e.Message}");
            return ExitCodes.Invalid;
        }
    }
}
