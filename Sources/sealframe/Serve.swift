import Dispatch
import Foundation
import KeyServer

/// `sealframe serve --db DB --master-key FILE --ca CA --cert CERT --key KEY [--listen ADDR] [--port N]
///  [--session-seconds N] [--max-grant-seconds N]`: the key server, on loopback unless told otherwise.
/// Stops cleanly on SIGTERM or SIGINT.
func serve(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["db", "master-key", "ca", "cert", "key", "listen", "port",
                                             "session-seconds", "max-grant-seconds", "requests-per-minute"])
    do {
        let store = try Store(path: try args.required("db"))
        let vault = try AssetVault(masterKeyFile: try args.required("master-key"))
        var settings = KeyService.Settings()
        settings.sessionSeconds = Int64(try args.integer("session-seconds") ?? 300)
        settings.maxGrantSeconds = Int64(try args.integer("max-grant-seconds") ?? 120)
        let service = try KeyService(store: store, vault: vault, settings: settings)
        var serverSettings = KeyServer.Settings()
        serverSettings.requestsPerMinute = try args.integer("requests-per-minute") ?? 120
        let host = args["listen"] ?? "127.0.0.1", port = args["port"] ?? "8443"
        let server = try KeyServer(service: service, caFile: try args.required("ca"), certificateFile: try args.required("cert"),
                                   keyFile: try args.required("key"), host: host, port: port, settings: serverSettings)
        server.log = { line in warn("serve: \(line)") }
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { server.stop() }
            source.resume()
            sources.append(source)
        }
        print("sealframe serve: listening on \(host):\(port)")
        fflush(nil)
        server.run()
        print("sealframe serve: stopped")
        _ = sources
    } catch let e as CLIError { throw e } catch { throw CLIError.failure("\(error)") }
}
