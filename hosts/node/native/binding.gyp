{
  "targets": [
    {
      "target_name": "idpgate_dtls",
      "sources": [
        "dtls_napi.c",
        "../../../modules/dtls/dtls_config.c",
        "../../../modules/dtls/dtls_cookie.c",
        "../../../modules/dtls/dtls_entropy.c",
        "../../../modules/dtls/dtls_errors.c",
        "../../../modules/dtls/dtls_record.c",
        "../../../modules/dtls/dtls_server.c",
        "../../../modules/dtls/dtls_session.c",
        "../../../modules/dtls/dtls_transport.c"
      ],
      "include_dirs": ["../../../modules/dtls"],
      "libraries": ["-lmbedtls", "-lmbedx509", "-lmbedcrypto"],
      "cflags_c": ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
