import DsnapCLI
import FoundationEssentials
import Glibc

exit(DsnapCLI.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
