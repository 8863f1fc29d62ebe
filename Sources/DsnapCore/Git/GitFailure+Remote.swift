import Clibgit2

extension GitFailure {
    /// The server refused our credentials, or we refused its host key or certificate.
    var isAuthenticationFailure: Bool {
        code == GIT_EAUTH.rawValue || code == GIT_ECERTIFICATE.rawValue
            || (errorClass == Int32(GIT_ERROR_SSH.rawValue) && message.lowercased().contains("auth"))
    }

    /// A push that lost a race: a ref the server refused as not a fast-forward, or one another
    /// push held locked at that instant, or one that moved since we looked (a path remote's refs
    /// are written in place, compare-and-swap).
    var isLostPushRace: Bool {
        [GIT_ENONFASTFORWARD, GIT_ELOCKED, GIT_EMODIFIED, GIT_EEXISTS].map(\.rawValue).contains(code)
    }
}
