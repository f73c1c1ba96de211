/* Test-only P-256 credentials (openssl, ecdsa-with-SHA256, valid to 2126): a CA and a server certificate for
 * CN/SAN localhost signed by it. Never use outside tests. */
#ifndef DTLS_TEST_CERTS_H
#define DTLS_TEST_CERTS_H
static const char TEST_CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBizCCATGgAwIBAgIUOUVwSPOFwZBhukNe2xmiz3bs1MswCgYIKoZIzj0EAwIw\n"
    "GjEYMBYGA1UEAwwPaWRwZ2F0ZSB0ZXN0IENBMCAXDTI2MTEyNDE4MzUzM1oYDzIx\n"
    "MjYxMDMxMTgzNTMzWjAaMRgwFgYDVQQDDA9pZHBnYXRlIHRlc3QgQ0EwWTATBgcq\n"
    "hkjOPQIBBggqhkjOPQMBBwNCAAT+KI0E4eejnZ4l41aHgUWKMqTBsSTv+MDZdlE1\n"
    "nAhZXxqupaOd5reltkA+NlaGgo9BmzeSpc7imlDB6L4Bsx7no1MwUTAdBgNVHQ4E\n"
    "FgQUyF6H/zRH1m1XpQ6UQ5s8tXjAoCQwHwYDVR0jBBgwFoAUyF6H/zRH1m1XpQ6U\n"
    "Q5s8tXjAoCQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBDtvg8\n"
    "NKhMeXYMWVKq8fxX76+fHMJbOc/5YU2Y8BkVPgIhANB95UqJ3exNM3WEtBN+u2Cd\n"
    "Ie07AswjYB49P+2nGpQO\n"
    "-----END CERTIFICATE-----\n"
;
static const char TEST_SERVER_CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBljCCATugAwIBAgIUDlvDtuLGurKp7NgNxBqba+sbUPQwCgYIKoZIzj0EAwIw\n"
    "GjEYMBYGA1UEAwwPaWRwZ2F0ZSB0ZXN0IENBMCAXDTI2MTEyNDE4MzUzM1oYDzIx\n"
    "MjYxMDMxMTgzNTMzWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAATUQfU/o6iLhSnmUHYJhKJw6wpdK3lnzi0kyF+4wiCBW7IO\n"
    "MRh4PdlEDlPn0KbEP6/8nITaTVAOfXVTMvGm7thVo2MwYTAUBgNVHREEDTALggls\n"
    "b2NhbGhvc3QwCQYDVR0TBAIwADAdBgNVHQ4EFgQUZYHBST5wdpSCXZxQdCvAlPdr\n"
    "3nIwHwYDVR0jBBgwFoAUyF6H/zRH1m1XpQ6UQ5s8tXjAoCQwCgYIKoZIzj0EAwID\n"
    "SQAwRgIhAMSt9CNO0RsTotEVGa5LqTLGTVgAKtXsWUCo2sgtgkuyAiEA4WtETaa5\n"
    "0HGwV2l1Fr7FeFsV3Fp4A7cb3T1LRDzAIKU=\n"
    "-----END CERTIFICATE-----\n"
;
static const char TEST_SERVER_KEY_PEM[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEICkQ/r14B66hUkEVeRGTP0evsduCq3k/sElg1ivOzL9yoAoGCCqGSM49\n"
    "AwEHoUQDQgAE1EH1P6Ooi4Up5lB2CYSicOsKXSt5Z84tJMhfuMIggVuyDjEYeD3Z\n"
    "RA5T59CmxD+v/JyE2k1QDn11UzLxpu7YVQ==\n"
    "-----END EC PRIVATE KEY-----\n"
;
#endif
