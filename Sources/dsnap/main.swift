import DsnapCLI
import Foundation

exit(DsnapCLI.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
