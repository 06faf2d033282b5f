using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Umboxes;

/// <summary>Application-layer and behaviour elements (KalKi's u2, u6, u8–u11 defenses).</summary>
public static partial class UmboxLibrary
{
    static partial void RegisterApplication(ElementRegistry registry) => registry
        .Add("brute-force", "N TCP connection attempts to a port from one source within a window -> brute-force (optional block)", BruteForce.Compile, "brute-force(port: 22, attempts: 5, window: 10s, block: true, block-for: 10min)")
        .Add("egress-guard", "device-originated traffic only to allowed destinations / from its service ports, else abnormal-egress (optional block)", EgressGuard.Compile, "egress-guard(allow: [{proto: udp, rport: 53}, {proto: tcp, rport: 443, remote: 198.51.100.0/24}], lports: [22], block: true)")
        .Add("http-auth-guard", "HTTP Basic/Digest logins toward the device: default-login, max-login-attempts (optional block)", HttpAuthGuard.Compile, """http-auth-guard(ports: [80, 8080], defaults: ["admin:", "admin:admin"], max-logins: 5, window: 1min, block: true)""")
        .Add("hue-guard", "Philips Hue API: token brute force -> brute-force; restrict: true drops non-GET API requests", HueGuard.Compile, "hue-guard(port: 80, tokens: 5, token-requests: 5, window: 10s, restrict: true, restrict-alert: control-attempt)")
        .Add("decoy", "answers the device's control protocol (WeMo basicevent) from a simulated state instead of the device", Decoy.Compile, "decoy(protocol: wemo, port: 49153, state: 0, alert: control-attempt)");
}
