/**
 * Key usage numbers (RFC 4120 §7.5.1, RFC 4121 §2): every encryption and keyed checksum names
 * what it protects, so a ciphertext made for one purpose never verifies for another.
 *
 * @module
 */
export const KEY_USAGE = {
  /** AS-REQ PA-ENC-TIMESTAMP padata, encrypted with the client key. */
  PA_ENC_TIMESTAMP: 1,
  /** Ticket EncTicketPart, encrypted with the service key. */
  TICKET: 2,
  /** AS-REP encrypted part, with the client key. */
  AS_REP_ENC_PART: 3,
  /** TGS-REQ authorization data, with the session key. */
  TGS_REQ_AUTH_DATA_SESSION_KEY: 4,
  /** TGS-REQ authorization data, with the authenticator subkey. */
  TGS_REQ_AUTH_DATA_SUBKEY: 5,
  /** TGS-REQ PA-TGS-REQ authenticator checksum, with the session key. */
  TGS_REQ_PA_AUTHENTICATOR_CHECKSUM: 6,
  /** TGS-REQ PA-TGS-REQ authenticator, with the TGS session key. */
  TGS_REQ_PA_AUTHENTICATOR: 7,
  /** TGS-REP encrypted part, with the TGS session key. */
  TGS_REP_ENC_PART_SESSION_KEY: 8,
  /** TGS-REP encrypted part, with the authenticator subkey. */
  TGS_REP_ENC_PART_SUBKEY: 9,
  /** AP-REQ authenticator checksum (application use). */
  AP_REQ_AUTHENTICATOR_CHECKSUM: 10,
  /** AP-REQ authenticator, with the ticket's session key. */
  AP_REQ_AUTHENTICATOR: 11,
  /** AP-REP encrypted part, with the session key. */
  AP_REP_ENC_PART: 12,
  /** KRB-PRIV encrypted part. */
  KRB_PRIV_ENC_PART: 13,
  /** KRB-CRED encrypted part. */
  KRB_CRED_ENC_PART: 14,
  /** KRB-SAFE checksum. */
  KRB_SAFE_CHECKSUM: 15,
  /** RFC 4121 §2: Wrap token sealed by the acceptor. */
  KG_ACCEPTOR_SEAL: 22,
  /** RFC 4121 §2: MIC or unsealed Wrap by the acceptor. */
  KG_ACCEPTOR_SIGN: 23,
  /** RFC 4121 §2: Wrap token sealed by the initiator. */
  KG_INITIATOR_SEAL: 24,
  /** RFC 4121 §2: MIC or unsealed Wrap by the initiator. */
  KG_INITIATOR_SIGN: 25,
} as const;
