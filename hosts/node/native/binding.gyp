{
  "targets": [
    {
      "target_name": "idpgate_dtls",
      "sources": ["dtls_napi.c", "../../../modules/dtls/dtls_session.c"],
      "include_dirs": ["../../../modules/dtls"],
      "libraries": ["-lmbedtls", "-lmbedx509", "-lmbedcrypto"],
      "cflags_c": ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
