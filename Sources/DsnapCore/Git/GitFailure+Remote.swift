import Clibgit2

extension GitFailure {
    /// The server refused our credentials, or we refused its host key or certificate.
    var isAuthenticationFailure: Bool {
        code == GIT_EAUTH.rawValue || code == GIT_ECERTIFICATE.rawValue
            || (errorClass == Int32(GIT_ERROR_SSH.rawValue) && message.lowercased().contains("auth"))
    }

    /// A ref update the server refused as not a fast-forward (someone pushed meanwhile).
    var isNonFastForward: Bool {
        code == GIT_ENONFASTFORWARD.rawValue
    }
}
