/**
 * Pizlix's seven stages and the inputs each one's key hashes, read from the scripts in the pizlix/
 * folder of pizlonator/fil-c. Rule used: when in doubt, include — reusing a stale stage is worse than
 * rebuilding one. Notes on the less obvious choices:
 * - build_copy_stuff.sh (run by prelc) copies every checked-in tarball and patch, the configuration
 *   files under etc/, and the chroot scripts of lc and postlc into $LFS/sources, so all of those are
 *   inputs of prelc even though later stages run them.
 * - The compiler and runtime trees (llvm, clang, libpas, filc, the glibc projects, the top-level build
 *   scripts) are inputs of lc; prelc only uses filc/projeny to package yolo-util-linux.
 * - Each postlc stage packages the Fil-C-patched projects its *_packaging / *_filc script lists.
 * - Stage outputs (lfs-*.tar.gz) and packaged sources (pizlonated-*.tar.gz) are excluded everywhere.
 */
export const PIZLIX_MANIFEST = `
version: 1
exclude:
  - pizlix/lfs-*.tar.gz
  - pizlix/lfs-*.tar.zst
  - "**/pizlonated-*.tar.gz"
  - "**/*.o"
stages:
  - name: prelc
    script: build_prelc.sh
    snapshot: lfs-prelc.tar.gz
    inputs:
      - pizlix/build_prelc*.sh
      - pizlix/build_copy_stuff.sh
      - pizlix/version-check.sh
      - pizlix/build_mount.sh
      - pizlix/build_unmount.sh
      - pizlix/build_chroot.sh
      - pizlix/build_chroot_late.sh
      - pizlix/build_chown_from_lfs_to_root.sh
      - pizlix/build_yoloify.sh
      - pizlix/build_lc_sub2_*.sh
      - pizlix/build_lc_sub3_*.sh
      - pizlix/build_postlc_sub2_*.sh
      - pizlix/build_postlc_chroot_project_*.sh
      - pizlix/*.tar
      - pizlix/*.tar.*
      - pizlix/*.tgz
      - pizlix/*.patch
      - pizlix/etc/**
      - pizlix/keymaps/**
      - pizlix/linux-config-*
      - pizlix/preserve-yolo.txt
      - pizlix/hacked_ldd
      - package-source.sh
      - filc/projeny
      - projects/linux-[0-9]*/**
      - projects/yolo-util-linux/**
      - projects/yolo-util-linux.projeny
  - name: lc
    parent: prelc
    script: build_lc.sh
    snapshot: lfs-lc.tar.gz
    inputs:
      - pizlix/build_lc*.sh
      - "*.sh"
      - llvm/**
      - clang/**
      - libpas/**
      - filc/**
      - libcxx/**
      - libcxxabi/**
      - libunwind/**
      - compiler-rt/**
      - runtimes/**
      - cmake/**
      - third-party/**
      - projects/yolo-glibc-*/**
      - projects/user-glibc-*/**
  - name: postlc
    parent: lc
    script: build_postlc.sh
    snapshot: lfs-postlc.tar.gz
    inputs:
      - pizlix/build_postlc.sh
      - pizlix/build_postlc_*.sh
      - package-source.sh
      - projects/lfs-bootscripts-[0-9]*/**
      - projects/kbd-[0-9]*/**
      - projects/xz-[0-9]*/**
      - projects/m4-[0-9]*/**
      - projects/pkgconf-[0-9]*/**
      - projects/binutils-[0-9]*/**
      - projects/gmp-[0-9]*/**
      - projects/attr-[0-9]*/**
      - projects/libxcrypt-[0-9]*/**
      - projects/shadow-[0-9]*/**
      - projects/sed-[0-9]*/**
      - projects/gettext-[0-9]*/**
      - projects/grep-[0-9]*/**
      - projects/bash-[0-9]*/**
      - projects/perl-[0-9]*/**
      - projects/XML-Parser-[0-9]*/**
      - projects/openssl-[0-9]*/**
      - projects/elfutils-[0-9]*/**
      - projects/libffi-[0-9]*/**
      - projects/Python-[0-9]*/**
      - projects/check-[0-9]*/**
      - projects/diffutils-[0-9]*/**
      - projects/bison-[0-9]*/**
      - projects/libpipeline-[0-9]*/**
      - projects/texinfo-[0-9]*/**
      - projects/vim-[0-9]*/**
      - projects/util-linux-[0-9]*/**
      - projects/systemd-[0-9]*/**
      - projects/procps-ng-[0-9]*/**
      - projects/make-[0-9]*/**
      - projects/linux-[0-9]*/**
      - projects/e2fsprogs-[0-9]*/**
      - projects/kmod-[0-9]*/**
      - projects/man-db-[0-9]*/**
      - projects/tar-[0-9]*/**
  - name: postlc2
    parent: postlc
    script: build_postlc2.sh
    snapshot: lfs-postlc2.tar.gz
    inputs:
      - pizlix/build_postlc2*.sh
      - package-source.sh
      - projects/cmake-[0-9]*/**
      - projects/libtasn1-[0-9]*/**
      - projects/p11-kit-[0-9]*/**
      - projects/libidn2-[0-9]*/**
      - projects/curl-[0-9]*/**
      - projects/emacs-[0-9]*/**
      - projects/sudo-[0-9]*/**
      - projects/git-[0-9]*/**
      - projects/libuv-[0-9]*/**
      - projects/icu-[0-9]*/**
      - projects/libxml2-[0-9]*/**
      - projects/libarchive-[0-9]*/**
      - projects/dhcpcd-[0-9]*/**
  - name: postlc3
    parent: postlc2
    script: build_postlc3.sh
    snapshot: lfs-postlc3.tar.gz
    inputs:
      - pizlix/build_postlc3*.sh
      - package-source.sh
      - projects/wayland-[0-9]*/**
      - projects/libevdev-[0-9]*/**
      - projects/libinput-[0-9]*/**
      - projects/libxkbcommon-xkbcommon-[0-9]*/**
      - projects/libpng-[0-9]*/**
      - projects/glib-[0-9]*/**
      - projects/cairo-[0-9]*/**
      - projects/weston-[0-9]*/**
      - projects/seatd-[0-9]*/**
      - projects/libdrm-[0-9]*/**
  - name: postlc4
    parent: postlc3
    script: build_postlc4.sh
    snapshot: lfs-postlc4.tar.gz
    inputs:
      - pizlix/build_postlc4*.sh
      - package-source.sh
      - projects/pygobject-[0-9]*/**
      - projects/graphene-[0-9]*/**
      - projects/mesa-[0-9]*/**
      - projects/pango-[0-9]*/**
      - projects/gdk-pixbuf-[0-9]*/**
      - projects/gtk-[0-9]*/**
      - projects/nettle-[0-9]*/**
      - projects/libgudev-[0-9]*/**
      - projects/gstreamer-[0-9]*/**
      - projects/gst-plugins-bad-[0-9]*/**
      - projects/gst-plugins-base-[0-9]*/**
  - name: postlc5
    parent: postlc4
    script: build_postlc5.sh
    snapshot: lfs-postlc5.tar.gz
    inputs:
      - pizlix/build_postlc5*.sh
      - package-source.sh
      - projects/gnutls-[0-9]*/**
      - projects/glib-networking-[0-9]*/**
      - projects/libsoup-[0-9]*/**
      - projects/libgpg-error-[0-9]*/**
      - projects/libgcrypt-[0-9]*/**
`;
