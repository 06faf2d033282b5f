using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.HttpJson;
using KalkiEdge.Devices.Hue;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Mqtt;
using KalkiEdge.Devices.Wemo;

namespace KalkiEdge.Devices;

/// <summary>Every device monitor family by name, as a device's <c>monitor: {family: NAME}</c> names it.</summary>
public static class MonitorLibrary
{
    public static MonitorRegistry CreateRegistry() => new MonitorRegistry()
        .Add(HueMonitor.Family, "Philips Hue bridge: every light's on/reachable and the API version; lights-off, lights-on", 80, HueMonitor.Compile,
            "{family: hue}")
        .Add(WemoMonitor.Family, "Belkin WeMo Insight plug over UPnP SOAP: on, power-w, today-kwh; turn-on, turn-off", 49153, WemoMonitor.Compile,
            "{family: wemo-insight, port: 49153}")
        .Add(HttpJsonMonitor.Family, "any device with a JSON status page (Udoo Neo–class boards): pack sensors mapped to JSON fields; commands as POSTs", 80, HttpJsonMonitor.Compile,
            "{family: http-json, path: /status, fields: {cpu-temp-c: cpu.temp, load: load.1m}, commands: {reboot: /reboot}}")
        .Add(DlinkCameraMonitor.Family, "D-Link DCS camera: motion pushed by e-mail (bounded SMTP receiver) or HTTP event, firmware and uptime-s polled from its status page; reboot", 80, DlinkCameraMonitor.Compile,
            "{family: dlink-camera}")
        .Add(MqttMonitor.Family, "any device publishing JSON readings to an MQTT broker: pack sensors mapped to JSON fields; commands published to a topic", 1883, MqttMonitor.Compile,
            "{family: mqtt, broker: 192.0.2.5, topic: site/plug-1/state, fields: {on: relay.on, power-w: power}, command-topic: site/plug-1/set, commands: [turn-off, turn-on]}");
}
