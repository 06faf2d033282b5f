using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.Management;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge devices | reset: the operator's commands against the running appliance, through its control socket
/// (--socket, else the config's management.control-socket, else the config's instance socket in its data directory when
/// one is there, else the service's path).
/// </summary>
internal static class OperatorCommands
{
    // How long `reset` waits to see the device back in its initial state before saying it is not yet applied.
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(5);

    public static int Devices(CommandLine cl)
    {
        using var client = Connect(cl, "devices");
        if (client is null)
        {
            return ExitCodes.Invalid;
        }

        var answer = client.DevicesAsync().GetAwaiter().GetResult();
        if (answer.Value is not { } list)
        {
            Console.Error.WriteLine($"kalki-edge devices: {Printable.Escape(answer.Error)}");
            return ExitCodes.Invalid;
        }

        if (cl.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(list, OperatorJsonContext.Default.DeviceList));
            return ExitCodes.Ok;
        }

        Console.WriteLine($"{"device",-16} {"type",-20} {"state",-11} {"forwarded",10} {"dropped",8}  chain");
        foreach (var d in list.Devices)
        {
            // Every string here came over the socket from whatever serves it: printed escaped, never raw.
            var chain = Printable.Escape(d.FailClosed ? $"{d.Chain} (FAIL-CLOSED)" : d.Chain);
            var type = Printable.Escape(d.NeedsReview ? $"{d.Type} (NEEDS REVIEW)" : d.Type ?? "-");
            Console.WriteLine($"{Printable.Escape(d.Name),-16} {type,-20} {Printable.Escape(d.State ?? "-"),-11} {d.Forwarded,10} {d.Dropped,8}  {chain}");
        }

        return ExitCodes.Ok;
    }

    public static int Reset(CommandLine cl)
    {
        if (cl.Option("--device") is not { Length: > 0 } name)
        {
            Console.Error.WriteLine("kalki-edge reset: --device NAME is required");
            return ExitCodes.Usage;
        }

        using var client = Connect(cl, "reset");
        if (client is null)
        {
            return ExitCodes.Invalid;
        }

        var answer = client.ResetAsync(name, cl.Option("--reason")).GetAwaiter().GetResult();
        if (answer.Value is not { } accepted)
        {
            Console.Error.WriteLine($"kalki-edge reset: {Printable.Escape(answer.Error)}");
            return ExitCodes.Invalid;
        }

        // The reset is queued to the control plane; report it once the device is back in its initial state.
        var waited = Stopwatch.StartNew();
        string? state = null;
        while (waited.Elapsed < ApplyTimeout)
        {
            state = client.DeviceAsync(name).GetAwaiter().GetResult().Value?.State;
            if (state == accepted.To)
            {
                Console.WriteLine($"{Printable.Escape(name)}: {Printable.Escape(accepted.From)} -> {Printable.Escape(accepted.To)} (reset by {Printable.Escape(accepted.Actor)})");
                return ExitCodes.Ok;
            }

            Thread.Sleep(50);
        }

        Console.Error.WriteLine($"kalki-edge reset: {Printable.Escape(name)}: reset queued, but the device is still in {Printable.Escape(state ?? "an unknown state")} after {ApplyTimeout.TotalSeconds:0} s");
        return ExitCodes.Invalid;
    }

    private static OperatorClient? Connect(CommandLine cl, string command)
    {
        var socket = cl.Option("--socket");
        if (socket is null && cl.Option("--config") is { } path)
        {
            var diagnostics = new DiagnosticBag();
            var config = SiteConfigLoader.Load(path, diagnostics);
            if (config is null)
            {
                foreach (var d in diagnostics.Items)
                {
                    Console.Error.WriteLine(d);
                }

                Console.Error.WriteLine($"kalki-edge {command}: cannot read {path}");
                return null;
            }

            var settings = ManagementSettings.Read(config.Sections, diagnostics, config.DataDir);
            // Run by hand, the appliance serves DATA_DIR/control.sock; run by systemd, the unit's RuntimeDirectory's
            // (the CLI cannot tell which started it): no socket in the data directory means the service's.
            socket = settings.ControlSocketNamed || File.Exists(settings.ControlSocket) ? settings.ControlSocket : ManagementSettings.DefaultControlSocket;
        }

        return new OperatorClient(socket ?? ManagementSettings.DefaultControlSocket, TimeSpan.FromSeconds(10));
    }
}
