using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Syslog;
using Microsoft.Extensions.Logging.Abstractions;

namespace KalkiEdge.UnitTests.Export;

/// <summary>RFC 5424 messages to real collectors on loopback: a UDP socket, a TCP listener, a TLS server.</summary>
public class SyslogSinkTests
{
    private const string Rfc5424Header = @"^<(\d+)>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ kalki-edge \d+ (alert|kalki_transition) - \{";

    [Test]
    public void Udp_carries_one_message_per_datagram_with_priority_from_the_severity()
    {
        using var collector = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)collector.Client.LocalEndPoint!).Port;
        using (var sink = new SyslogSink(new SyslogOptions("127.0.0.1", port, SyslogTransport.Udp), NullLogger.Instance))
        {
            sink.Publish(Attestation());
            var received = collector.ReceiveAsync();
            Assert.That(received.Wait(TimeSpan.FromSeconds(10)), Is.True, "a datagram within 10 s");
            var message = Encoding.UTF8.GetString(received.Result.Buffer);
            var match = System.Text.RegularExpressions.Regex.Match(message, Rfc5424Header);
            Assert.That(match.Success, Is.True, message);
            Assert.That(match.Groups[1].Value, Is.EqualTo("131"), "local0 (16) * 8 + err (3): an integrity failure is severity 1");
            Assert.That(Eve(message).GetProperty("alert").GetProperty("signature").GetString(), Is.EqualTo("KALKI image attestation failure"));
        }
    }

    [Test]
    public void Tcp_frames_messages_by_octet_counting_and_keeps_them_queued_while_the_collector_is_down()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // the collector is down when the events happen
        using var sink = new SyslogSink(new SyslogOptions("127.0.0.1", port, SyslogTransport.Tcp), NullLogger.Instance);
        for (int i = 1; i <= 3; i++)
        {
            sink.Publish(EveFileSinkTests.Event(i));
        }

        EveFileSinkTests.WaitFor(() => sink.Counters.ConnectFailures > 0);
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        try
        {
            using var client = AcceptWithin(listener);
            using var stream = client.GetStream();
            var messages = Enumerable.Range(0, 3).Select(_ => ReadOctetCounted(stream)).ToList();
            Assert.That(messages, Has.All.Match(Rfc5424Header));
            Assert.That(messages.Select(m => Eve(m).GetProperty("kalki").GetProperty("count").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }), "in order, none lost");
            Assert.That(sink.Counters.Dropped, Is.Zero);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    public void Tls_verifies_the_collector_against_the_configured_ca_and_refuses_another()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=collector.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var serverCert = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        var dir = Path.Combine(Path.GetTempPath(), "kalki-syslog-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var ca = Path.Combine(dir, "ca.pem");
            File.WriteAllText(ca, cert.ExportCertificatePem());
            using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var other = new CertificateRequest("CN=other", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var wrongCa = Path.Combine(dir, "other.pem");
            File.WriteAllText(wrongCa, other.ExportCertificatePem());

            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                using (var sink = new SyslogSink(new SyslogOptions("127.0.0.1", port, SyslogTransport.Tls) { CaFile = ca }, NullLogger.Instance))
                {
                    sink.Publish(Attestation());
                    using var client = AcceptWithin(listener);
                    using var tls = new SslStream(client.GetStream());
                    tls.AuthenticateAsServer(serverCert);
                    Assert.That(ReadOctetCounted(tls), Does.Match(Rfc5424Header).And.Contain("attestation failure"));
                }

                using var refused = new SyslogSink(new SyslogOptions("127.0.0.1", port, SyslogTransport.Tls) { CaFile = wrongCa }, NullLogger.Instance);
                refused.Publish(Attestation());
                using (var client = AcceptWithin(listener))
                using (var tls = new SslStream(client.GetStream()))
                {
                    // The client rejects a collector its CA did not sign: the handshake fails, or (TLS 1.3, where the
                    // server finishes first) the connection closes without a message.
                    try
                    {
                        tls.AuthenticateAsServer(serverCert);
                        Assert.That(tls.Read(new byte[64]), Is.Zero, "no message over an unverified connection");
                    }
                    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                    {
                    }
                }

                EveFileSinkTests.WaitFor(() => refused.Counters.ConnectFailures > 0);
                Assert.That(refused.Counters.Sent, Is.Zero);
            }
            finally
            {
                listener.Stop();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static AlertEvent Attestation() =>
        new(new Alert(AlertTypes.AttestationFailure, "cam", AlertSource.Platform, 1_796_413_579_000_000, "measurement mismatch"), default);

    private static JsonElement Eve(string message) => JsonDocument.Parse(message[message.IndexOf('{', StringComparison.Ordinal)..]).RootElement;

    private static TcpClient AcceptWithin(TcpListener listener)
    {
        var accept = listener.AcceptTcpClientAsync();
        Assert.That(accept.Wait(TimeSpan.FromSeconds(15)), Is.True, "the sink connects within 15 s");
        accept.Result.ReceiveTimeout = 10_000;
        return accept.Result;
    }

    /// <summary>RFC 6587 octet counting: LENGTH SP MESSAGE.</summary>
    private static string ReadOctetCounted(Stream stream)
    {
        var length = new StringBuilder();
        for (int b = stream.ReadByte(); b != ' '; b = stream.ReadByte())
        {
            Assert.That(b is >= '0' and <= '9' && length.Length < 6, Is.True, $"octet count expected, got byte {b}");
            length.Append((char)b);
        }

        var message = new byte[int.Parse(length.ToString(), System.Globalization.CultureInfo.InvariantCulture)];
        stream.ReadExactly(message);
        return Encoding.UTF8.GetString(message);
    }
}
