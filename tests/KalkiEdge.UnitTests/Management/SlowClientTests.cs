using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KalkiEdge.Management;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// Slowloris and half-open clients against the real Kestrel management server: many connections trickling their
/// headers a byte at a time and many that connect and say nothing. The dashboard keeps answering while they are
/// held, connections over the limit are closed at once, a header block over the limit is refused, and every slow or
/// silent connection is cut off by the header and idle timeouts, after which the slots are free again.
/// </summary>
[NonParallelizable] // holds most of the server's connection slots
public class SlowClientTests
{
    private const int Trickling = 150;
    private const int Silent = 80;

    [Test]
    public async Task Slow_and_half_open_clients_are_cut_off_by_the_timeouts_while_the_dashboard_keeps_answering()
    {
        var dir = Directory.CreateTempSubdirectory("kalki-slow-").FullName;
        try
        {
            await using var app = await ManagementApp.StartAsync(dir);
            var endpoint = new IPEndPoint(IPAddress.Loopback, app.Base.Port);
            var trickling = await ConnectAsync(endpoint, Trickling);
            var silent = await ConnectAsync(endpoint, Silent);
            foreach (var s in trickling)
            {
                await s.SendAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: kalki\r\nX-Slow: "));
            }

            using var stop = new CancellationTokenSource();
            var trickle = Task.Run(() => TrickleAsync(trickling, stop.Token));

            // Held: 230 of 256 slots. The dashboard still answers.
            using var http = new HttpClient { BaseAddress = app.Base, Timeout = TimeSpan.FromSeconds(10) };
            Assert.That((await http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.OK), "answers while slow clients hold connections");

            // A header block over 16 KB is refused, not buffered.
            using var huge = new HttpRequestMessage(HttpMethod.Get, "/health");
            huge.Headers.Add("X-Huge", new string('a', 20_000));
            Assert.That((await http.SendAsync(huge)).StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge));

            // Over the limit: the extra connections are closed by the server at once.
            var filler = await ConnectAsync(endpoint, ManagementServer.MaxConnections - Trickling - Silent + 20);
            var clock = Stopwatch.StartNew();
            while (filler.Count(ClosedByServer) < 15 && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(100);
            }

            Assert.That(filler.Count(ClosedByServer), Is.GreaterThanOrEqualTo(15), $"connections beyond {ManagementServer.MaxConnections} are refused");
            Dispose(filler);

            // Every slow and silent connection is cut off by the timeouts (Kestrel checks them once a second).
            var limit = ManagementServer.IdleTimeout + TimeSpan.FromSeconds(10);
            while ((trickling.Any(s => !ClosedByServer(s)) || silent.Any(s => !ClosedByServer(s))) && clock.Elapsed < limit)
            {
                await Task.Delay(250);
            }

            int slowOpen = trickling.Count(s => !ClosedByServer(s));
            int silentOpen = silent.Count(s => !ClosedByServer(s));
            TestContext.Out.WriteLine($"after {clock.Elapsed.TotalSeconds:F1} s: {Trickling - slowOpen} of {Trickling} trickling and {Silent - silentOpen} of {Silent} silent connections closed by the server");
            Assert.That((slowOpen, silentOpen), Is.EqualTo((0, 0)), $"cut off within the header timeout ({ManagementServer.RequestHeadersTimeout.TotalSeconds} s) and idle timeout ({ManagementServer.IdleTimeout.TotalSeconds} s)");
            await stop.CancelAsync();
            await trickle;

            // The slots are free again: a burst of ordinary requests is served.
            for (int i = 0; i < 20; i++)
            {
                using var fresh = new HttpClient { BaseAddress = app.Base, Timeout = TimeSpan.FromSeconds(10) };
                Assert.That((await fresh.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            Dispose(trickling);
            Dispose(silent);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<List<Socket>> ConnectAsync(IPEndPoint endpoint, int count)
    {
        var sockets = new List<Socket>(count);
        for (int i = 0; i < count; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await s.ConnectAsync(endpoint);
            sockets.Add(s);
        }

        return sockets;
    }

    /// <summary>One more header byte per connection every half second, until the server hangs up.</summary>
    private static async Task TrickleAsync(List<Socket> sockets, CancellationToken stop)
    {
        var one = "a"u8.ToArray();
        while (!stop.IsCancellationRequested)
        {
            foreach (var s in sockets)
            {
                try
                {
                    s.Send(one);
                }
                catch (SocketException)
                {
                    // the server closed it: what the test waits for
                }
            }

            await Task.Delay(500, CancellationToken.None);
        }
    }

    /// <summary>True once the server has closed the connection (a 408 or nothing, then end of stream or a reset).</summary>
    private static bool ClosedByServer(Socket s)
    {
        try
        {
            var buffer = new byte[4096];
            while (s.Poll(0, SelectMode.SelectRead))
            {
                if (s.Receive(buffer) == 0)
                {
                    return true;
                }
            }

            return false;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private static void Dispose(List<Socket> sockets)
    {
        foreach (var s in sockets)
        {
            s.Dispose();
        }
    }
}
