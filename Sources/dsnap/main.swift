import DsnapCLI
import FoundationEssentials
import Glibc

exit(DsnapCLI.run(arguments: DsnapCLI.processArguments, environment: ProcessInfo.processInfo.environment))
